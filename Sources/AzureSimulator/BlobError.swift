import Foundation
import JSONDocument

/// The Blob service's error answer: an XML `<Error>` body with Code and Message (the message
/// ending in RequestId and Time lines), and the code again in `x-ms-error-code`.
enum BlobError {
    /// The messages Azure sends with each code the simulator uses.
    static let messages: [String: String] = [
        "AppendPositionConditionNotMet": "The append position condition specified was not met.",
        "AuthenticationFailed":
            "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
        "AuthorizationFailure": "This request is not authorized to perform this operation.",
        "BlobAlreadyExists": "The specified blob already exists.",
        "BlobNotFound": "The specified blob does not exist.",
        "BlockCountExceedsLimit": "The committed block count cannot exceed the maximum limit of 50,000 blocks.",
        "ConditionNotMet": "The condition specified using HTTP conditional header(s) is not met.",
        "ContainerAlreadyExists": "The specified container already exists.",
        "ContainerNotFound": "The specified container does not exist.",
        "InternalError": "Server encountered an internal error. Please try again after some time.",
        "InvalidBlobType": "The blob type is invalid for this operation.",
        "InvalidHeaderValue": "The value for one of the HTTP headers is not in the correct format.",
        "InvalidQueryParameterValue": "Value for one of the query parameters specified in the request URI is invalid.",
        "InvalidRange": "The range specified is invalid for the current size of the resource.",
        "InvalidResourceName": "The specifed resource name contains invalid characters.",
        "InvalidUri": "The requested URI does not represent any resource on the server.",
        "LeaseAlreadyPresent": "There is already a lease present.",
        "LeaseIdMismatchWithBlobOperation": "The lease ID specified did not match the lease ID for the blob.",
        "LeaseIdMismatchWithLeaseOperation": "The lease ID specified did not match the lease ID for the blob.",
        "LeaseIdMissing": "There is currently a lease on the blob and no lease ID was specified in the request.",
        "LeaseIsBreakingAndCannotBeAcquired":
            "The lease ID matched, but the lease is currently in breaking state and cannot be acquired until it is broken.",
        "LeaseIsBreakingAndCannotBeChanged": "The lease ID matched, but the lease is currently in breaking state and cannot be changed.",
        "LeaseIsBrokenAndCannotBeRenewed": "The lease ID matched, but the lease has been broken explicitly and cannot be renewed.",
        "LeaseLost": "A lease ID was specified, but the lease for the blob has expired.",
        "LeaseNotPresentWithBlobOperation": "There is currently no lease on the blob.",
        "LeaseNotPresentWithLeaseOperation": "There is currently no lease on the blob.",
        "MaxBlobSizeConditionNotMet": "The max blob size condition specified was not met.",
        "MissingRequiredHeader": "An HTTP header that's mandatory for this request is not specified.",
        "MissingRequiredQueryParameter": "A query parameter that's mandatory for this request is not specified.",
        "NoAuthenticationInformation":
            "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
        "OutOfRangeQueryParameterValue": "One of the query parameters specified in the request URI is outside the permissible range.",
        "RequestBodyTooLarge": "The request body is too large and exceeds the maximum permissible limit.",
        "ServerBusy": "The server is busy.",
        "UnsupportedHttpVerb": "The resource doesn't support specified Http Verb.",
    ]

    /// An error answer; `extra` are further elements of `<Error>` (HeaderName, AuthenticationErrorDetail, …).
    static func response(
        _ status: Int, _ code: String, requestID: String, extra: [(String, String)] = [], headers: [String: String] = [:],
        now: Date = Date()
    ) -> SimulatedResponse {
        let message = (messages[code] ?? code) + "\nRequestId:\(requestID)\nTime:\(BlobDates.iso8601(now, fraction: 7))"
        var xml = #"<?xml version="1.0" encoding="utf-8"?><Error><Code>\#(code)</Code><Message>\#(BlobXML.escape(message))</Message>"#
        for (name, value) in extra { xml += "<\(name)>\(BlobXML.escape(value))</\(name)>" }
        xml += "</Error>"
        var all = headers
        all["x-ms-error-code"] = code
        all["Content-Type"] = "application/xml"
        return SimulatedResponse(status: status, headers: all, body: Data(xml.utf8))
    }
}

/// The date forms the Blob service writes: RFC 1123 in headers and listings, ISO 8601 in messages.
enum BlobDates {
    static func rfc1123(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }

    /// Parses an HTTP date (RFC 1123, the form every SDK sends); nil when it is not one.
    static func parse(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text.trimmingCharacters(in: .whitespaces)) { return date }
        }
        return nil
    }

    static func iso8601(_ date: Date, fraction digits: Int) -> String {
        let whole = floor(date.timeIntervalSince1970)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        let fraction = Int((date.timeIntervalSince1970 - whole) * pow(10, Double(digits)))
        let padded = String(String(fraction).reversed()).padding(toLength: digits, withPad: "0", startingAt: 0)
        return formatter.string(from: Date(timeIntervalSince1970: whole)) + "." + String(padded.reversed()) + "Z"
    }
}

/// XML escaping for bodies the simulator writes: text keeps its quotes, as Azure's does.
enum BlobXML {
    static func escape(_ text: String, attribute: Bool = false) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"" where attribute: result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
