/* fuzz-msmtprc.c - libFuzzer target: arbitrary bytes as an msmtprc through
 * msmtprc_convert. A failure is EX_CONFIG with a message naming the file;
 * a success is INI text that mailout's own parser loads. */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include "conf.h"
#include "msmtprc.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    struct mo_err err = { 0, "" };
    struct config cfg;
    char *ini = msmtprc_convert("fuzz.rc", (const char *)d, n, &err);

    if (ini == NULL) {
        if (err.code != EX_CONFIG || strncmp(err.msg, "fuzz.rc:", 8) != 0)
            abort();
        return 0;
    }
    if (err.code != 0)
        abort();
    if (conf_load_from_string(&cfg, "out.ini", ini, &err) != 0)
        abort();
    config_free(&cfg);
    free(ini);
    return 0;
}
