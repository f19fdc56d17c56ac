// zlib, the deflate compressor and CRC-32 of the core map v2 archive writer. Installed by
// `make deps` (Debian: zlib1g-dev); found through pkg-config.
#include <zlib.h>
