// A first look at a file's HDF5 structure in a child process, so that a defect of libhdf5
// 1.10 on a corrupt file (it trusts B-tree nodes, heaps and object headers) kills the child,
// not the program: the parent sees how the child ended and reports the file as corrupt.
// Only structure is walked (groups, links, object headers, dataspaces, types, layouts); no
// data is read, which Tessera checks itself before libhdf5 reads it (HDF5Reader).
#include <hdf5.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/// Walks group `g` and everything under it, depth at most 32 (NIR nests graphs a few deep).
static inline int tessera_h5_walk(hid_t g, int depth) {
    H5G_info_t info;
    if (depth > 32 || H5Gget_info(g, &info) < 0) return 0;
    for (hsize_t i = 0; i < info.nlinks && i < 1000000; i++) {
        char name[1024];
        ssize_t size = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
        if (size < 0 || size >= (ssize_t)sizeof name) continue;
        hid_t o = H5Oopen(g, name, H5P_DEFAULT);
        if (o < 0) continue;
        H5I_type_t kind = H5Iget_type(o);
        if (kind == H5I_GROUP) {
            tessera_h5_walk(o, depth + 1);
        } else if (kind == H5I_DATASET) {
            hid_t space = H5Dget_space(o), type = H5Dget_type(o), plist = H5Dget_create_plist(o);
            if (space >= 0) { H5Sget_simple_extent_npoints(space); H5Sclose(space); }
            if (type >= 0) { H5Tget_class(type); H5Tget_size(type); H5Tclose(type); }
            if (plist >= 0) { H5Pget_layout(plist); H5Pclose(plist); }
            H5Dget_storage_size(o);
        }
        H5Oclose(o);
    }
    return 0;
}

/// 0 when a child walked `path`'s structure and exited; the signal number that ended it
/// (a crash inside libhdf5); -1 when it took more than `seconds` (killed); -3 when it exited
/// with an error (a sanitizer's report); -2 when no child could be started, so nothing is
/// known.
static inline int tessera_h5_probe(const char *path, int seconds) {
    pid_t child = fork();
    if (child < 0) return -2;
    if (child == 0) {
        // The default action for a fault, so the child ends by it whatever handlers the
        // program installed (a crash reporter, a fuzzer's).
        int faults[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
        for (int k = 0; k < 5; k++) signal(faults[k], SIG_DFL);
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f >= 0) {
            hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
            if (root >= 0) tessera_h5_walk(root, 0);
        }
        _exit(0);   // no atexit handlers, no flushing of the parent's buffers
    }
    struct timespec pause = {0, 2000000};   // 2 ms
    for (long waited = 0; waited < (long)seconds * 500; waited++) {
        int status = 0;
        pid_t done = waitpid(child, &status, WNOHANG);
        if (done == child) return WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status) == 0 ? 0 : -3;
        if (done < 0) return -2;
        nanosleep(&pause, NULL);
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return -1;
}
