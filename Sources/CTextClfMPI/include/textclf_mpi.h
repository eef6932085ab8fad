// MPI as textclf uses it, loaded at run time from Open MPI's libmpi.so.40 (Debian's
// libopenmpi3; `openmpi-bin` brings mpirun), so one binary runs with or without MPI and the
// build needs no MPI headers. Open MPI's MPI_COMM_WORLD and MPI_BYTE are the addresses of
// the library's `ompi_mpi_comm_world` and `ompi_mpi_byte`, found with dlsym like the
// functions. Every collective here moves bytes; the Swift side gives them their types.
#ifndef TEXTCLF_MPI_H
#define TEXTCLF_MPI_H

#include <stddef.h>

/// Loads the MPI library (`path`, a file name for the loader's search or a full path) and
/// resolves what textclf calls. Returns 0, or -1 with `error` saying why.
int textclf_mpi_load(const char *path, char *error, size_t error_size);

/// MPI_Init (when MPI is not initialised yet), then this process's rank and the number of
/// processes. Returns MPI's status (0 is success).
int textclf_mpi_init(int *rank, int *size);

/// MPI_Allgather of `count` bytes from every process: `receive` gets process r's bytes at
/// r × count. Returns MPI's status.
int textclf_mpi_allgather(const void *send, int count, void *receive);

/// MPI_Allgatherv of bytes: process r sends counts[r] bytes, which land at
/// `receive + displacements[r]` on every process. Returns MPI's status.
int textclf_mpi_allgatherv(const void *send, int count, void *receive, const int *counts, const int *displacements);

/// MPI_Abort of every process with `code`.
void textclf_mpi_abort(int code);

/// MPI_Finalize. Returns MPI's status.
int textclf_mpi_finalize(void);

#endif
