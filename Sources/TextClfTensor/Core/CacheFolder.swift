import Foundation

/// The folder textclf caches in: `$TEXTCLF_CACHE_DIR`, else `~/.cache/textclf`. Embedding
/// stores live at its top, and GPU kernels compiled for a device in `kernels/`.
public enum CacheFolder {
    /// `$TEXTCLF_CACHE_DIR`, else `~/.cache/textclf` (not created here).
    public static func defaultPath() -> String {
        if let value = ProcessInfo.processInfo.environment["TEXTCLF_CACHE_DIR"], !value.isEmpty { return value }
        return NSHomeDirectory() + "/.cache/textclf"
    }
}
