// libhdf5 (Debian's libhdf5-dev) for reading NIR files. HDF5's type and property constants
// are macros over global variables, which Swift cannot import; these inline functions hand
// them over, and read string datasets into plain C strings.
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include "probe.h"

static inline hid_t tessera_h5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t tessera_h5p_default(void) { return H5P_DEFAULT; }
static inline unsigned tessera_h5f_read_only(void) { return H5F_ACC_RDONLY; }
/// Turns off HDF5's printing of its error stack: Tessera reports errors itself.
static inline void tessera_h5_silence(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/// 1 when `type` is a plain variable-length string, ASCII or UTF-8 with any padding, as h5py
/// writes `str`; 0 for anything else that says it is a string (libhdf5 converts a corrupt
/// one's elements by whatever base type it names).
static inline int tessera_h5_is_plain_vlen_string(hid_t type) {
    for (int cset = 0; cset < 2; cset++) {
        for (int pad = 0; pad < 3; pad++) {
            hid_t plain = H5Tcopy(H5T_C_S1);
            H5Tset_size(plain, H5T_VARIABLE);
            H5Tset_cset(plain, cset ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
            H5Tset_strpad(plain, (H5T_str_t)pad);
            int same = H5Tequal(type, plain) > 0;
            H5Tclose(plain);
            if (same) return 1;
        }
    }
    return 0;
}

/// Reads every element of a variable-length string dataset (what h5py writes for str) as
/// malloc'd UTF-8 strings. Returns the count, -1 on a read error, -2 when the dataset does
/// not hold variable-length strings. Free with tessera_h5_free_strings.
static inline long tessera_h5_read_strings(hid_t dset, char ***out) {
    *out = NULL;
    hid_t space = H5Dget_space(dset);
    if (space < 0) return -1;
    hssize_t n = H5Sget_simple_extent_npoints(space);
    hid_t ftype = H5Dget_type(dset);
    if (ftype < 0 || n < 0) { H5Sclose(space); return -1; }
    if (H5Tget_class(ftype) != H5T_STRING || H5Tis_variable_str(ftype) <= 0) {
        H5Tclose(ftype); H5Sclose(space); return -2;
    }
    H5Tclose(ftype);
    hid_t mtype = H5Tcopy(H5T_C_S1);
    H5Tset_size(mtype, H5T_VARIABLE);
    H5Tset_cset(mtype, H5T_CSET_UTF8);
    char **buf = calloc(n > 0 ? (size_t)n : 1, sizeof(char *));
    char **copy = calloc(n > 0 ? (size_t)n : 1, sizeof(char *));
    if (!buf || !copy) {
        free(buf); free(copy); H5Tclose(mtype); H5Sclose(space); return -1;
    }
    if (H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        /* A read that failed part way has allocated the strings before the failure. */
        H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, buf);
        free(buf); free(copy); H5Tclose(mtype); H5Sclose(space); return -1;
    }
    for (hssize_t i = 0; i < n; i++) copy[i] = strdup(buf[i] ? buf[i] : "");
    H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, buf);
    free(buf);
    H5Tclose(mtype);
    H5Sclose(space);
    *out = copy;
    return (long)n;
}

static inline void tessera_h5_free_strings(char **strings, long count) {
    for (long i = 0; i < count; i++) free(strings[i]);
    free(strings);
}
