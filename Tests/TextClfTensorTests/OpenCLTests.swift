import Foundation
import Testing
import TextClfTensor

/// OpenCL found at run time through the ICD loader. `scripts/install-deps.sh` installs PoCL,
/// so every CI machine has at least its CPU device.
@Suite("OpenCL devices")
struct OpenCLTests {
    /// The devices, or why there are none.
    static let found: Result<[OpenCLDeviceInfo], OpenCLError> = Result { try OpenCL.devices() }.mapError { $0 as! OpenCLError }
    static var present: Bool { (try? found.get()) != nil }

    @Test(.enabled(if: present, "no OpenCL device (scripts/install-deps.sh installs PoCL); skipped"))
    func devicesAreNumberedWithTheirMemory() throws {
        let devices = try Self.found.get()
        #expect(devices.map(\.ordinal) == Array(0..<devices.count))
        for device in devices {
            #expect(!device.name.isEmpty && !device.platform.isEmpty && device.version.hasPrefix("OpenCL "), "\(device)")
            #expect(device.memory > 0 && device.maxAllocation > 0 && device.maxAllocation <= device.memory, "\(device)")
            #expect(device.computeUnits > 0 && ["cpu", "gpu", "accelerator", "other"].contains(device.kind), "\(device)")
        }
        // The same devices in the same order on every call.
        #expect(try OpenCL.devices() == devices)
    }
}
