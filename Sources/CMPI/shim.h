#ifndef TESSERA_MPI_SHIM_H
#define TESSERA_MPI_SHIM_H

// Open MPI (Debian: libopenmpi-dev) for emulating a board over several processes. Its
// predefined handles (MPI_COMM_WORLD, MPI_INT32_T, MPI_SUM...) are macros over globals,
// which Swift does not import, so they are wrapped in functions here.
#include <mpi.h>

static inline MPI_Comm tessera_mpi_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype tessera_mpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype tessera_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype tessera_mpi_char(void) { return MPI_CHAR; }
static inline MPI_Op tessera_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op tessera_mpi_max(void) { return MPI_MAX; }

#endif
