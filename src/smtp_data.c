/* smtp_data.c - CRLF and dot-stuffing over a stream of chunks. */
#include "config.h"
#include <string.h>
#include "smtp_data.h"

void wire_encoder_init(struct wire_encoder *e, bool dot_stuff)
{
    e->dot_stuff = dot_stuff;
    e->at_bol = true;
    e->pending_cr = false;
}

static size_t line_end(struct wire_encoder *e, char *out)
{
    out[0] = '\r';
    out[1] = '\n';
    e->at_bol = true;
    return 2;
}

size_t wire_encode(struct wire_encoder *e, const char *in, size_t n, char *out)
{
    size_t o = 0, i = 0;

    while (i < n) {
        if (e->pending_cr) {
            /* CR then LF is one line end; a CR alone is one too. */
            e->pending_cr = false;
            o += line_end(e, out + o);
            if (in[i] == '\n')
                i++;
            continue;
        }
        if (e->at_bol && e->dot_stuff && in[i] == '.')
            out[o++] = '.';
        e->at_bol = false;
        /* Copy the run up to the next CR or LF in one go (memchr is fast;
         * a CR inside a line is rare). */
        const char *lf = memchr(in + i, '\n', n - i);
        size_t run = lf ? (size_t)(lf - (in + i)) : n - i;
        const char *cr = memchr(in + i, '\r', run);
        if (cr)
            run = (size_t)(cr - (in + i));
        memcpy(out + o, in + i, run);
        o += run;
        i += run;
        if (i < n) {
            if (in[i] == '\n')
                o += line_end(e, out + o);
            else
                e->pending_cr = true;
            i++;
        }
    }
    return o;
}

size_t wire_encode_finish(struct wire_encoder *e, char *out)
{
    if (e->pending_cr || !e->at_bol) {
        e->pending_cr = false;
        return line_end(e, out);
    }
    return 0;
}
