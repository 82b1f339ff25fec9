import Foundation
@testable import LedgerServer
import Testing

/// The multipart/form-data parser of payment uploads, on bodies as browsers and curl send them.
struct MultipartFormTests {
    static func body(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func theBoundaryIsReadFromTheContentType() throws {
        #expect(try MultipartForm.boundary(contentType: "multipart/form-data; boundary=abc123") == "abc123")
        #expect(try MultipartForm.boundary(contentType: "Multipart/Form-Data;boundary=\"a b;c\"") == "a b;c")
        #expect(try MultipartForm.boundary(contentType: "multipart/form-data; charset=utf-8; BOUNDARY=----x") == "----x")
        #expect(try MultipartForm.boundary(contentType: "text/csv") == nil)
        #expect(throws: MultipartForm.Failure.self) { try MultipartForm.boundary(contentType: "multipart/form-data") }
        #expect(throws: MultipartForm.Failure.self) { try MultipartForm.boundary(contentType: "multipart/form-data; boundary=") }
        #expect(throws: MultipartForm.Failure.self) {
            try MultipartForm.boundary(contentType: "multipart/form-data; boundary=\(String(repeating: "x", count: 71))")
        }
    }

    @Test func aFileAndAFieldAsCurlSendsThem() throws {
        let csv = "payment_id,application_id\r\nP-1,A-1\r\n"
        let body = Self.body(
            "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"pay; 1.csv\"\r\nContent-Type: text/csv\r\n\r\n"
                + csv + "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"skip_invalid\"\r\n\r\ntrue\r\n--XyZ--\r\n"
        )
        let form = try MultipartForm(bytes: body, boundary: "XyZ")
        #expect(form.parts.count == 2)
        let file = try #require(form.part("file"))
        #expect(file.filename == "pay; 1.csv")
        #expect(file.contentType == "text/csv")
        #expect(file.text == csv, "the CRLF before the delimiter is the delimiter's; the file's own last CRLF stays")
        #expect(form.part("skip_invalid")?.text == "true")
    }

    @Test func aPreambleAnEpilogueAndAnEmptyPart() throws {
        let body = Self.body("this is a preamble\r\n--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\r\n--b--\r\nepilogue --b\r\n")
        let form = try MultipartForm(bytes: body, boundary: "b")
        #expect(form.parts.count == 1)
        #expect(form.part("file")?.body == [])
    }

    @Test func contentThatLooksAlmostLikeTheBoundaryStaysInThePart() throws {
        let content = "--b is not it\r\n-b\r\n--bx\n--b"  // no CRLF before the last --b: not a delimiter
        let body = Self.body("--bb\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\(content)\r\n--bb--")
        let form = try MultipartForm(bytes: body, boundary: "bb")
        #expect(form.part("file")?.text == content)
    }

    @Test func bareLineFeedsInHeadersAreAccepted() throws {
        let body = Self.body("--b\nContent-Disposition: form-data; name=file\n\nP-1\r\n--b--")
        let form = try MultipartForm(bytes: body, boundary: "b")
        #expect(form.part("file")?.text == "P-1")
    }

    @Test func bytesThatAreNotUTF8PassThroughUntouched() throws {
        let content: [UInt8] = [0xEF, 0xBB, 0xBF, 0x61, 0xFF, 0x00, 0x0D, 0x0A, 0x0D]
        let body = Self.body("--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n") + content + Self.body("\r\n--b--\r\n")
        #expect(try MultipartForm(bytes: body, boundary: "b").part("file")?.body == content)
    }

    @Test(arguments: [
        "no boundary here",  // the boundary never occurs
        "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nP-1",  // no closing delimiter
        "--b\r\nContent-Disposition: form-data; name=\"file\"\r\nP-1\r\n--b--",  // no empty line after the headers
        "--b\r\nContent-Type: text/csv\r\n\r\nP-1\r\n--b--",  // no name
        "--b\r\nContent-Disposition: attachment; name=\"file\"\r\n\r\nP-1\r\n--b--",  // not form-data
        "--b\r\nContent-Disposition: form-data; name=\"file\r\n\r\nP-1\r\n--b--",  // unclosed quote
        "--bjunk\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nP-1\r\n--b--",  // a longer boundary is not ours
    ])
    func malformedBodiesAreRefused(_ text: String) {
        #expect(throws: MultipartForm.Failure.self) { try MultipartForm(bytes: Self.body(text), boundary: "b") }
    }
}
