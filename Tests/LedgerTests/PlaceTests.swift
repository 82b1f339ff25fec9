import Foundation
import Testing
@testable import Ledger

/// Places as data (sql/0016_places.sql): names resolve to the unit in force on the business
/// date that matters; budgets, residences and applications follow the units' validity dates.
struct PlaceTests {
    static let sample = try! PlaceCatalog(units: PlaceFile(parsing: SamplePlaces.json).units)

    static func date(_ text: String) -> LocalDate { try! LocalDate(parsing: text, field: "date") }

    static func problem(_ body: () throws -> some Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func theSampleHasTheNineDistrictsUntilTheMergerAndIllustrativeWardsAfter() throws {
        let file = try PlaceFile(parsing: SamplePlaces.json)
        let districts = file.units.filter { $0.kind == .district }
        #expect(districts.map(\.code) == District.allCases)
        #expect(districts.allSatisfy { $0.validUntil == Self.date("2025-06-30") && !$0.isIllustrative })
        #expect(districts.map(\.name) == District.allCases.map(\.name))
        let after = file.units.filter { $0.kind != .district }
        #expect(after.count >= 10 && after.allSatisfy { $0.validFrom == Self.date("2025-07-01") && $0.isIllustrative })
        #expect(Set(after.map(\.code)).isDisjoint(with: District.allCases))
        #expect(SamplePlaces.json.contains("ILLUSTRATIVE"))
        #expect(Self.sample.unit(UnitCode(rawValue: "phuong-cai-khe")!)?.predecessors == [.ninhKieu, .binhThuy])
    }

    @Test(arguments: [
        ("ninh kieu", "2024-05-01", "ninh-kieu"),
        ("ninh kieu", "2026-01-15", "phuong-ninh-kieu"),
        ("Ninh Kiều", "2025-06-30", "ninh-kieu"),
        ("NINH-KIEU", "2025-07-01", "phuong-ninh-kieu"),
        ("Quận Ninh Kiều", "2024-01-01", "ninh-kieu"),
        ("phường Cái Khế", "2025-09-01", "phuong-cai-khe"),
        ("cai khe", "2026-01-01", "phuong-cai-khe"),
        ("xã Cờ Đỏ", "2026-01-01", "xa-co-do"),
        ("co do", "2024-12-31", "co-do"),
        ("huyện Cờ Đỏ", "2024-12-31", "co-do"),
        ("phuong-ninh-kieu", "2026-01-01", "phuong-ninh-kieu"),
    ])
    func aNameResolvesToTheUnitInForceOnTheDate(text: String, on: String, code: String) throws {
        #expect(try Self.sample.resolve(text, when: .on(Self.date(on)), field: "--unit").code == code)
    }

    @Test func aNameOfTwoUnitsInForceInTheSameYearMustBeNamedWithItsKind() throws {
        let message = Self.problem { try Self.sample.resolve("ninh kieu", when: .inYear(2025), field: "--unit") }
        #expect(message?.contains("--unit") == true)
        #expect(message?.contains("quận Ninh Kiều (ninh-kieu, …2025-06-30)") == true, "\(message ?? "")")
        #expect(message?.contains("phường Ninh Kiều (phuong-ninh-kieu, 2025-07-01…)") == true, "\(message ?? "")")
        #expect(try Self.sample.resolve("phường Ninh Kiều", when: .inYear(2025), field: "--unit").code == "phuong-ninh-kieu")
        #expect(try Self.sample.resolve("quận ninh kieu", when: .inYear(2025), field: "--unit") == .ninhKieu)
    }

    @Test func aUnitNotInForceOrUnknownIsRefusedNamingTheField() {
        let ended = Self.problem { try Self.sample.resolve("quận Ninh Kiều", when: .on(Self.date("2026-01-01")), field: "--unit") }
        #expect(ended?.contains("not in force on 2026-01-01") == true, "\(ended ?? "")")
        let before = Self.problem { try Self.sample.resolve("phường Cái Khế", when: .inYear(2024), field: "--district") }
        #expect(before?.contains("--district") == true && before?.contains("not in force in 2024") == true, "\(before ?? "")")
        let unknown = Self.problem { try Self.sample.resolve("Hà Nội", when: .any, field: "--unit") }
        #expect(unknown?.contains("is not a unit of the places loaded") == true, "\(unknown ?? "")")
    }

    @Test func withNoPlacesLoadedTheNineDistrictsResolveOnAnyDate() throws {
        let none = PlaceCatalog()
        #expect(try none.resolve("Ninh Kiều", when: .on(Self.date("2030-01-01")), field: "--district") == .ninhKieu)
        #expect(try none.resolve("quan ninh kieu", when: .inYear(2026), field: "--district") == .ninhKieu)
        #expect(Self.problem { try none.resolve("phường Cái Khế", when: .any, field: "--district") }?.contains("not a district of Cần Thơ") == true)
        #expect(none.budgetProblem(.ninhKieu, year: 2030) == nil)
        #expect(none.budgetProblem(UnitCode(rawValue: "phuong-cai-khe")!, year: 2026) != nil)
        #expect(none.residenceProblem(.coDo, on: Self.date("2026-01-01")) == nil)
        #expect(none.budgetUnits(home: .oMon, year: 2030) == [.oMon])
    }

    @Test func budgetsAreForUnitsInForceInTheirYear() {
        let ward = UnitCode(rawValue: "phuong-ninh-kieu")!
        #expect(Self.sample.budgetProblem(.ninhKieu, year: 2024) == nil)
        #expect(Self.sample.budgetProblem(.ninhKieu, year: 2025) == nil)
        #expect(Self.sample.budgetProblem(ward, year: 2025) == nil)
        #expect(Self.sample.budgetProblem(ward, year: 2024)?.contains("not in force in 2024") == true)
        #expect(Self.sample.budgetProblem(.ninhKieu, year: 2026)?.contains("not in force in 2026") == true)
        #expect(Self.sample.budgetProblem(UnitCode(rawValue: "ha-noi")!, year: 2024)?.contains("not a unit") == true)
    }

    @Test func anApplicationDrawsOnTheUnitTheBeneficiarysCameFromAndAsksWhenThereAreSeveral() throws {
        let caiKhe = UnitCode(rawValue: "phuong-cai-khe")!
        let ward = UnitCode(rawValue: "phuong-ninh-kieu")!
        #expect(try Self.sample.budgetUnit(home: ward, year: 2026, named: nil, beneficiary: "HH-1") == ward)
        #expect(try Self.sample.budgetUnit(home: ward, year: 2024, named: nil, beneficiary: "HH-1") == .ninhKieu)
        let several = Self.problem { try Self.sample.budgetUnit(home: caiKhe, year: 2024, named: nil, beneficiary: "HH-2") }
        #expect(several?.contains("--unit") == true, "\(several ?? "")")
        #expect(several?.contains("quận Ninh Kiều (ninh-kieu") == true && several?.contains("quận Bình Thủy (binh-thuy") == true, "\(several ?? "")")
        #expect(try Self.sample.budgetUnit(home: caiKhe, year: 2024, named: .binhThuy, beneficiary: "HH-2") == .binhThuy)
        let other = Self.problem { try Self.sample.budgetUnit(home: caiKhe, year: 2024, named: .oMon, beneficiary: "HH-2") }
        #expect(other?.contains("not of quận Ô Môn") == true, "\(other ?? "")")
        // Someone still recorded in an old district, in a year after it: the units made from it.
        let divided = Self.problem { try Self.sample.budgetUnit(home: .ninhKieu, year: 2026, named: nil, beneficiary: "HH-3") }
        #expect(divided?.contains("phường Cái Khế") == true && divided?.contains("phường Ninh Kiều") == true, "\(divided ?? "")")
        #expect(try Self.sample.budgetUnit(home: .coDo, year: 2026, named: nil, beneficiary: "HH-4").code == "xa-co-do")
    }

    @Test func loadingTheSameFileAgainRecordsNothingAndAChangedUnitIsRefused() throws {
        let file = try PlaceFile(parsing: SamplePlaces.json)
        let first = try PlaceDecisions.load(file: file, known: PlaceCatalog())
        #expect(first.streams.count == file.units.count && first.streams[0].stream == "unit-ninh-kieu")
        #expect(try PlaceDecisions.load(file: file, known: Self.sample).alreadyDone)
        let changed = SamplePlaces.json.replacingOccurrences(of: #""name": "Tân An""#, with: #""name": "Tân An Mới""#)
        let refusal = Self.problem { try PlaceDecisions.load(file: try PlaceFile(parsing: changed), known: Self.sample) }
        #expect(refusal?.contains("phuong-tan-an is already defined") == true, "\(refusal ?? "")")
    }

    @Test(arguments: [
        (#"{"units": [{"code": "Phuong X", "name": "X", "kind": "ward"}]}"#, "units[0].code"),
        (#"{"units": [{"code": "x", "name": "X", "kind": "village"}]}"#, "units[0].kind"),
        (#"{"units": [{"code": "x", "name": "X", "kind": "ward", "valid_from": "2025-07-01", "valid_until": "2025-01-01"}]}"#, "units[0].valid_until"),
        (#"{"units": [{"code": "x", "name": "X", "kind": "ward", "came_from": ["Y"]}]}"#, "units[0].came_from[0]"),
        (#"{"units": [{"code": "x", "name": "X", "kind": "ward", "colour": "red"}]}"#, "units[0].colour"),
        (#"{"units": [{"code": "x", "name": "X", "kind": "ward"}, {"code": "x", "name": "Y", "kind": "ward"}]}"#, "units[1].code"),
    ])
    func aBadPlacesFileNamesTheField(text: String, field: String) {
        let message = Self.problem { try PlaceFile(parsing: text) }
        #expect(message?.contains(field) == true, "\(message ?? "accepted")")
    }

    @Test func aUnitComingFromAUnitNotDefinedIsRefused() throws {
        let file = try PlaceFile(parsing: #"{"units": [{"code": "phuong-x", "name": "X", "kind": "ward", "came_from": ["nowhere"]}]}"#)
        let message = Self.problem { try PlaceDecisions.load(file: file, known: Self.sample) }
        #expect(message?.contains("came_from nowhere is not a unit defined before it") == true, "\(message ?? "")")
    }

    @Test func aRegistrationCarriesItsDateAndOlderOnesReadWithout() throws {
        let registered = BeneficiaryRegistered(beneficiaryID: "HH-9", kind: .household, name: "Lê Văn C", district: UnitCode(rawValue: "phuong-cai-khe")!,
                                               categories: ["poor"], bankAccount: nil, nationalIDFingerprint: nil, registeredOn: Self.date("2025-08-01"))
        let stored = try LedgerEvent.beneficiaryRegistered(registered).newEvent()
        #expect(stored.payloadJSON.contains(#""registered_on":"2025-08-01""#) && stored.payloadJSON.contains(#""district":"phuong-cai-khe""#))
        #expect(try LedgerEvent.decode(type: "BeneficiaryRegistered", schemaVersion: 1, payloadJSON: stored.payloadJSON) == .beneficiaryRegistered(registered))
        #expect(try LedgerEvent.decodeWithJSONDecoder(type: "BeneficiaryRegistered", schemaVersion: 1, payloadJSON: stored.payloadJSON)
            == .beneficiaryRegistered(registered))
        let old = #"{"beneficiary_id":"HH-1","categories":["poor"],"district":"thot-not","kind":"household","name":"Trần Thị Bích"}"#
        guard case .beneficiaryRegistered(let read)? = try LedgerEvent.decode(type: "BeneficiaryRegistered", schemaVersion: 1, payloadJSON: old) else {
            Issue.record("an old registration does not read")
            return
        }
        #expect(read.registeredOn == nil && read.district == .thotNot)
    }
}
