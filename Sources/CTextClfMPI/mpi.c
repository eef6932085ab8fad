// Run-time loading of Open MPI; see textclf_mpi.h.
#include "textclf_mpi.h"

#include <dlfcn.h>
#include <stdio.h>

typedef void *handle;  // MPI_Comm, MPI_Datatype: pointers in Open MPI

static int (*Initialized)(int *);
static int (*Init)(int *, char ***);
static int (*Finalize)(void);
static int (*Comm_rank)(handle, int *);
static int (*Comm_size)(handle, int *);
static int (*Allgather)(const void *, int, handle, void *, int, handle, handle);
static int (*Allgatherv)(const void *, int, handle, void *, const int *, const int *, handle, handle);
static int (*Abort)(handle, int);
static handle comm_world;
static handle byte_type;

#define RESOLVE(slot, symbol)                                                                  \
    do {                                                                                       \
        *(void **)&(slot) = dlsym(library, symbol);                                            \
        if (!(slot)) {                                                                         \
            snprintf(error, error_size, "%s lacks %s (textclf needs Open MPI's libmpi)", path, symbol); \
            return -1;                                                                         \
        }                                                                                      \
    } while (0)

int textclf_mpi_load(const char *path, char *error, size_t error_size) {
    // Global: Open MPI's components, loaded later by the library, resolve its symbols.
    void *library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        snprintf(error, error_size, "cannot load %s (%s)", path, dlerror());
        return -1;
    }
    RESOLVE(Initialized, "MPI_Initialized");
    RESOLVE(Init, "MPI_Init");
    RESOLVE(Finalize, "MPI_Finalize");
    RESOLVE(Comm_rank, "MPI_Comm_rank");
    RESOLVE(Comm_size, "MPI_Comm_size");
    RESOLVE(Allgather, "MPI_Allgather");
    RESOLVE(Allgatherv, "MPI_Allgatherv");
    RESOLVE(Abort, "MPI_Abort");
    RESOLVE(comm_world, "ompi_mpi_comm_world");
    RESOLVE(byte_type, "ompi_mpi_byte");
    return 0;
}

int textclf_mpi_init(int *rank, int *size) {
    int initialized = 0;
    int status = Initialized(&initialized);
    if (status != 0) return status;
    if (!initialized && (status = Init(NULL, NULL)) != 0) return status;
    if ((status = Comm_rank(comm_world, rank)) != 0) return status;
    return Comm_size(comm_world, size);
}

int textclf_mpi_allgather(const void *send, int count, void *receive) {
    return Allgather(send, count, byte_type, receive, count, byte_type, comm_world);
}

int textclf_mpi_allgatherv(const void *send, int count, void *receive, const int *counts, const int *displacements) {
    return Allgatherv(send, count, byte_type, receive, counts, displacements, byte_type, comm_world);
}

void textclf_mpi_abort(int code) { Abort(comm_world, code); }

int textclf_mpi_finalize(void) { return Finalize(); }
