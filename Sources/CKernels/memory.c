// Giving freed heap memory back to the system (tessera_kernels.h).
#include "tessera_kernels.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void tessera_release_freed_memory(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}
