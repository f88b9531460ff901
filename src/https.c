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
#include <dlfcn.h>
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

/* libcurl is loaded with dlopen the first time an HTTPS request is made:
 * it brings some twenty libraries (Kerberos, LDAP, SSH, ...) that a send
 * without the built-in OAuth 2 must not pay for at start-up. */
#define LIBCURL_SONAME "libcurl.so.4"

static struct {
    bool tried;
    void *handle;
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    char load_error[256];
} curl;

/* The library stays loaded (it cannot be unloaded after global init). */
static int load_curl(struct mo_err *err)
{
    if (!curl.tried) {
        curl.tried = true;
        curl.handle = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (curl.handle == NULL)
            snprintf(curl.load_error, sizeof curl.load_error, "%s", dlerror());
    }
    if (curl.handle != NULL && curl.easy_init == NULL) {
        *(void **)&curl.global_init = dlsym(curl.handle, "curl_global_init");
        *(void **)&curl.easy_setopt = dlsym(curl.handle, "curl_easy_setopt");
        *(void **)&curl.easy_perform = dlsym(curl.handle, "curl_easy_perform");
        *(void **)&curl.easy_getinfo = dlsym(curl.handle, "curl_easy_getinfo");
        *(void **)&curl.easy_cleanup = dlsym(curl.handle, "curl_easy_cleanup");
        *(void **)&curl.easy_strerror = dlsym(curl.handle, "curl_easy_strerror");
        if (curl.global_init && curl.easy_setopt && curl.easy_perform && curl.easy_getinfo
                && curl.easy_cleanup && curl.easy_strerror
                && curl.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
            *(void **)&curl.easy_init = dlsym(curl.handle, "curl_easy_init");
        if (curl.easy_init == NULL) {
            snprintf(curl.load_error, sizeof curl.load_error, "%s",
                     _("it lacks a needed function or cannot be initialised"));
            curl.handle = NULL;
        }
    }
    if (curl.handle == NULL)
        return mo_err_set(err, EX_OSERR,
                          _("cannot load %s for the built-in OAuth 2 (%s); install libcurl4"),
                          LIBCURL_SONAME, curl.load_error);
    return 0;
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
    CURL *c = curl.easy_init();

    if (c == NULL)
        return NULL;
    curl.easy_setopt(c, CURLOPT_URL, url);
    curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl.easy_setopt(c, CURLOPT_POSTFIELDS, form);
    curl.easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
    curl.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (trust_file != NULL && strcmp(trust_file, "system") != 0)
        curl.easy_setopt(c, CURLOPT_CAINFO, trust_file);
    curl.easy_setopt(c, CURLOPT_TIMEOUT, (long)(timeout > 0 ? timeout : 60));
    curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)(timeout > 0 ? timeout : 60));
    curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl.easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
    curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl.easy_setopt(c, CURLOPT_WRITEDATA, sink);
    curl.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    /* proxies: libcurl reads https_proxy, all_proxy and no_proxy itself */
    return c;
}

int https_post_form(const char *url, const char *form, const char *trust_file,
                    int timeout, struct https_answer *ans, struct mo_err *err)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct sink sink = { .overflow = false };
    CURLcode rc;
    CURL *c;

    memset(ans, 0, sizeof *ans);
    if (load_curl(err) != 0)
        return -1;
    if ((c = setup(url, form, trust_file, timeout, &sink, errbuf)) == NULL)
        return mo_err_set(err, EX_OSERR, "%s", _("cannot initialise libcurl"));
    sink.buf = xmalloc(HTTPS_MAX_ANSWER + 1);
    rc = curl.easy_perform(c);
    curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ans->status);
    curl.easy_cleanup(c);
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
                          errbuf[0] ? errbuf : curl.easy_strerror(rc));
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
