import Foundation
import Ledger

/// The command line as the operating system gave it: bytes. Swift turns each argument into a
/// String replacing bytes that are not UTF-8 with U+FFFD, so a name typed in another encoding
/// would be stored silently changed; checked before anything is parsed.
enum RawArguments {
    /// `--name: is not valid UTF-8 (byte 3)` for the first argument that is not UTF-8, naming the
    /// option its value belongs to (`--name VALUE` or `--name=VALUE`), else the argument's number.
    static func firstProblem(_ arguments: [[UInt8]]) -> String? {
        for (index, bytes) in arguments.enumerated().dropFirst() {
            guard let byte = DomainText.firstInvalidUTF8Byte(bytes) else { continue }
            if bytes.starts(with: Array("--".utf8)), let equals = bytes.firstIndex(of: UInt8(ascii: "=")), equals < byte - 1 {
                let name = String(decoding: bytes[..<equals], as: UTF8.self)
                return "\(name): is not valid UTF-8 (byte \(byte - equals - 1))"
            }
            let previous = arguments[index - 1]
            if index > 1, previous.first == UInt8(ascii: "-"), previous != Array("--".utf8), !previous.contains(UInt8(ascii: "=")),
               DomainText.firstInvalidUTF8Byte(previous) == nil, !bytes.starts(with: Array("-".utf8)) {
                return "\(String(decoding: previous, as: UTF8.self)): is not valid UTF-8 (byte \(byte))"
            }
            return "argument \(index): is not valid UTF-8 (byte \(byte))"
        }
        return nil
    }

    /// This process's arguments, byte for byte.
    static func current() -> [[UInt8]] {
        (0..<Int(CommandLine.argc)).map { index in
            guard let pointer = CommandLine.unsafeArgv[index] else { return [] }
            return Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer)))
        }
    }
}
