#ifndef TEXTCLF_CSQLITE_SHIM_H
#define TEXTCLF_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
