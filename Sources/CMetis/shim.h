// METIS, the multilevel graph partitioner that places cores on chips (recursive bisection
// of the spike-weighted core graph). Installed by `make deps` (Debian: libmetis-dev).
#include <metis.h>
