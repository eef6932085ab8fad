#ifndef TEXTCLF_CZLIB_SHIM_H
#define TEXTCLF_CZLIB_SHIM_H
#include <zlib.h>

/// `inflateInit2(stream, -15)`: a raw DEFLATE stream (no zlib or gzip wrapper), as in ZIP
/// members. `inflateInit2` is a macro, which Swift does not import.
static inline int textclf_inflate_init_raw(z_streamp stream) {
    return inflateInit2(stream, -15);
}
#endif
