import Foundation
import JSONDocument

/// Lease Blob (`PUT ?comp=lease`), and the faults the Blob service can be given.
extension ARMSimulator {
    func leaseBlob(_ context: BlobContext, container: String, name: String) -> SimulatedResponse {
        let request = context.request
        guard var blob = blobRecord(context, container, name) else { return context.fail(404, "BlobNotFound") }
        if let refusal = Self.checkConditions(context, etag: blob.etag, lastModified: blob.lastModified, read: false) { return refusal }
        guard let action = request.header("x-ms-lease-action") else { return context.missingHeader("x-ms-lease-action") }
        let leaseID = request.header("x-ms-lease-id")
        let proposed = request.header("x-ms-proposed-lease-id")
        if let proposed, UUID(uuidString: proposed) == nil { return context.badHeader("x-ms-proposed-lease-id", proposed) }
        var headers = ["ETag": blob.etag, "Last-Modified": BlobDates.rfc1123(blob.lastModified)]
        let status: Int
        do {
            switch action.lowercased() {
            case "acquire":
                guard let text = request.header("x-ms-lease-duration") else { return context.missingHeader("x-ms-lease-duration") }
                guard let duration = Int(text.trimmingCharacters(in: .whitespaces)), duration == -1 || (15...60).contains(duration) else {
                    return context.badHeader("x-ms-lease-duration", text)
                }
                headers["x-ms-lease-id"] = try blob.lease.acquire(proposed: proposed, duration: duration, now: context.now)
                status = 201
            case "renew":
                guard let leaseID else { return context.missingHeader("x-ms-lease-id") }
                try blob.lease.renew(id: leaseID, now: context.now)
                headers["x-ms-lease-id"] = leaseID
                status = 200
            case "change":
                guard let leaseID else { return context.missingHeader("x-ms-lease-id") }
                guard let proposed else { return context.missingHeader("x-ms-proposed-lease-id") }
                headers["x-ms-lease-id"] = try blob.lease.change(id: leaseID, to: proposed, now: context.now)
                status = 200
            case "release":
                guard let leaseID else { return context.missingHeader("x-ms-lease-id") }
                try blob.lease.release(id: leaseID, now: context.now)
                status = 200
            case "break":
                var period: Int?
                if let text = request.header("x-ms-lease-break-period") {
                    guard let seconds = Int(text.trimmingCharacters(in: .whitespaces)), (0...60).contains(seconds) else {
                        return context.badHeader("x-ms-lease-break-period", text)
                    }
                    period = seconds
                }
                headers["x-ms-lease-time"] = String(try blob.lease.breakLease(period: period, now: context.now))
                status = 202
            default:
                return context.badHeader("x-ms-lease-action", action)
            }
        } catch {
            return context.fail(error.status, error.code)
        }
        store(blob, context, container, name)
        return SimulatedResponse(status: status, headers: headers)
    }

    /// The fault kinds that mean something to the Blob service.
    static let blobFaultKinds: Set<FaultSpec.Kind> = [.delay, .reset, .serverError, .unavailable, .throttle, .unauthorized]

    /// A fault's answer in the Blob service's shape: 503 ServerBusy for `unavailable` and
    /// `throttle` (how storage throttles), 500 InternalError, 403 AuthenticationFailed, or a
    /// dropped connection; nil for `delay`, which only holds the normal answer back.
    func blobFaultResponse(_ fault: FaultSpec?, requestID: String) -> SimulatedResponse? {
        guard let fault else { return nil }
        switch fault.kind {
        case .reset:
            return SimulatedResponse(status: 0, dropConnection: true)
        case .unavailable, .throttle:
            return BlobError.response(503, "ServerBusy", requestID: requestID, now: storageNow)
        case .serverError:
            return BlobError.response(500, "InternalError", requestID: requestID, now: storageNow)
        case .unauthorized:
            return BlobError.response(403, "AuthenticationFailed", requestID: requestID, now: storageNow)
        default:
            return nil
        }
    }
}
