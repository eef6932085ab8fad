#ifndef TEXTCLF_COPENBLAS_SHIM_H
#define TEXTCLF_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
