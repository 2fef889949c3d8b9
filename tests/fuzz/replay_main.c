/*
 * Replays a fuzz corpus through a fuzz target without libFuzzer, so that
 * `ctest` runs every saved input on every build (with the sanitizers of that
 * build). Arguments are files or folders; folders are read one level deep.
 * Fails when a folder is empty or missing: an unreplayed corpus proves nothing.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fenghuo/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    fh_buf b;
    fh_buf_init(&b, (size_t)16 << 20);
    if (fh_buf_read_file(&b, path) != FH_OK) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        fh_buf_cleanup(&b);
        return -1;
    }
    /* Copy into an exact-size allocation so ASan sees reads past the end. */
    uint8_t *data = fh_xmalloc(b.len);
    if (b.len)
        memcpy(data, b.data, b.len);
    LLVMFuzzerTestOneInput(data, b.len);
    free(data);
    fh_buf_cleanup(&b);
    return 0;
}

int main(int argc, char **argv)
{
    size_t ran = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s does not exist\n", argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (run_file(argv[i]))
                return 1;
            ran++;
            continue;
        }
        DIR *dir = opendir(argv[i]);
        if (dir == NULL)
            return 1;
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char *p = fh_xasprintf("%s/%s", argv[i], e->d_name);
            int r = run_file(p);
            free(p);
            if (r) {
                closedir(dir);
                return 1;
            }
            ran++;
        }
        closedir(dir);
    }
    printf("replay: %zu inputs ran without a crash\n", ran);
    return ran ? 0 : 1;
}
