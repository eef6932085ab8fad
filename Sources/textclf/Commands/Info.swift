import ArgumentParser
import COpenBLAS
import CSQLite
import CUtf8proc
import TextClf

/// `textclf info`: the version and the system libraries in use.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show textclf's version and the system libraries it runs on.",
        discussion: """
            Prints the versions of utf8proc (Unicode), OpenBLAS (dense linear algebra, with \
            its build configuration and thread count) and SQLite (on-disk caches), which \
            OpenBLAS kernels run and why, and how subnormal floats are handled. Use it to \
            check an installation.

            When OpenBLAS picks kernels made for fewer vector instructions than the CPU has \
            (an OpenBLAS older than the CPU), textclf selects the kernels for what the CPU \
            has (SkylakeX for AVX-512, Haswell for AVX2 and FMA) through OPENBLAS_CORETYPE; \
            an OPENBLAS_CORETYPE set in the environment wins. Training and inference flush \
            subnormal floats to zero (flush-to-zero and denormals-are-zero), as PyTorch's \
            torch.set_flush_denormal(True) does: values below 1.2e-38 change no prediction, \
            and arithmetic on them is many times slower.

            OpenCL devices are found through the ICD loader (libOpenCL.so.1), loaded at run \
            time: every platform's devices, numbered as opencl:N, with their memory. \
            Without the loader or a platform, the line says what to install. NVIDIA GPUs \
            are found through the driver (libcuda.so.1), numbered as cuda:N; NVRTC, which \
            compiles the GPU kernels at their first use (kept in the cache folder's kernels/), \
            and cuBLAS, which computes dense products, are found in TEXTCLF_CUDA_PATH, the \
            CUDA toolkit's usual places or the nvidia-cuda-nvrtc and nvidia-cublas pip wheels.

            Example:
              textclf info
            """).subcommandOfTextclf()

    func run() throws {
        let blasConfig = openblas_get_config().map { String(cString: $0) } ?? "unknown"
        print("textclf \(TextClfVersion.current)")
        print("utf8proc \(String(cString: utf8proc_version())) (Unicode \(String(cString: utf8proc_unicode_version())))")
        print("OpenBLAS \(blasConfig), \(openblas_get_num_threads()) threads")
        print("OpenBLAS kernels: \(BLASCore.explanation)")
        print("subnormal floats: " + (CPUBackend.flushesSubnormals ? "flushed to zero" : "kept (this processor cannot flush them)"))
        print("SQLite \(String(cString: sqlite3_libversion()))")
        do {
            let devices = try OpenCL.devices()
            print("OpenCL devices:")
            for device in devices {
                print(String(
                    format: "  opencl:%d  %@ (%@, %@), %.1f GiB, %d compute units, %@", device.ordinal, device.name, device.kind,
                    device.platform, Double(device.memory) / 1_073_741_824, device.computeUnits, device.version))
            }
        } catch {
            print("OpenCL devices: none (\(error))")
        }
        do {
            let devices = try CUDA.devices()
            print("CUDA devices:")
            for device in devices {
                print(String(
                    format: "  cuda:%d  %@, %.1f GiB, %d multiprocessors, compute capability %d.%d", device.ordinal, device.name,
                    Double(device.memory) / 1_073_741_824, device.multiprocessors, device.computeCapability.major,
                    device.computeCapability.minor))
            }
        } catch {
            print("CUDA devices: none (\(error))")
        }
        do { print("NVRTC: \(try CUDA.nvrtcPath())") } catch { print("NVRTC: none (\(error))") }
        do { print("cuBLAS: \(try CUDA.cublasPath())") } catch { print("cuBLAS: none (\(error)); dense products use textclf's kernel") }
    }
}
