/* https.c - a form POST over HTTPS with libcurl (see https.h). */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "err.h"
#include "i18n.h"
#include "util.h"
#include "https.h"

#ifdef HAVE_LIBCURL
#include <curl/curl.h>
#endif

char *https_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = xmalloc(3 * n + 1), *o = out;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
            || c == '-' || c == '.' || c == '_' || c == '~') {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

/* The old form is wiped: it may hold a refresh token or a client secret. */
void https_form_add(char **form, const char *name, const char *value)
{
    char *v = https_escape(value);
    char *next = xasprintf("%s%s%s=%s", *form ? *form : "", *form ? "&" : "", name, v);

    secret_free(v);
    secret_free(*form);
    *form = next;
}

void https_answer_free(struct https_answer *ans)
{
    if (ans->body != NULL)
        OPENSSL_cleanse(ans->body, ans->len);
    free(ans->body);
    memset(ans, 0, sizeof *ans);
}

#ifdef HAVE_LIBCURL

bool https_built(void)
{
    return true;
}

/* One buffer of the full bound: no realloc leaves copies of a token. */
struct sink {
    char *buf;
    size_t len;
    bool overflow;
};

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
    struct sink *s = user;

    if (n != 0 && size * n / n != size)
        return 0;
    if (size * n > HTTPS_MAX_ANSWER - s->len) {
        s->overflow = true;
        return 0;
    }
    memcpy(s->buf + s->len, p, size * n);
    s->len += size * n;
    return size * n;
}

static CURL *setup(const char *url, const char *form, const char *trust_file,
                   int timeout, struct sink *sink, char *errbuf)
{
    CURL *c = curl_easy_init();

    if (c == NULL)
        return NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (trust_file != NULL && strcmp(trust_file, "system") != 0)
        curl_easy_setopt(c, CURLOPT_CAINFO, trust_file);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(timeout > 0 ? timeout : 60));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)(timeout > 0 ? timeout : 60));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    /* proxies: libcurl reads https_proxy, all_proxy and no_proxy itself */
    return c;
}

int https_post_form(const char *url, const char *form, const char *trust_file,
                    int timeout, struct https_answer *ans, struct mo_err *err)
{
    static bool inited;
    char errbuf[CURL_ERROR_SIZE] = "";
    struct sink sink = { .overflow = false };
    CURLcode rc;
    CURL *c;

    memset(ans, 0, sizeof *ans);
    if (!inited && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return mo_err_set(err, EX_OSERR, "%s", _("cannot initialise libcurl"));
    inited = true;
    if ((c = setup(url, form, trust_file, timeout, &sink, errbuf)) == NULL)
        return mo_err_set(err, EX_OSERR, "%s", _("cannot initialise libcurl"));
    sink.buf = xmalloc(HTTPS_MAX_ANSWER + 1);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ans->status);
    curl_easy_cleanup(c);
    sink.buf[sink.len] = '\0';
    ans->body = sink.buf;
    ans->len = sink.len;
    if (sink.overflow) {
        https_answer_free(ans);
        return mo_err_set(err, EX_TEMPFAIL, _("%s: the answer is longer than %d bytes"),
                          url, HTTPS_MAX_ANSWER);
    }
    if (rc != CURLE_OK) {
        https_answer_free(ans);
        return mo_err_set(err, EX_TEMPFAIL, "%s: %s", url,
                          errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    return 0;
}

#else /* !HAVE_LIBCURL */

bool https_built(void)
{
    return false;
}

int https_post_form(const char *url, const char *form, const char *trust_file,
                    int timeout, struct https_answer *ans, struct mo_err *err)
{
    (void)form;
    (void)trust_file;
    (void)timeout;
    memset(ans, 0, sizeof *ans);
    return mo_err_set(err, EX_UNAVAILABLE, _("%s: mailout was built without libcurl (configure --with-libcurl)"), url);
}

#endif
