#ifndef TEXTCLF_CUTF8PROC_SHIM_H
#define TEXTCLF_CUTF8PROC_SHIM_H
#include <utf8proc.h>
#endif
