/*
 * server/web_assets.h - the dashboard's files, compiled into recprepd.
 *
 * server/web/ (index.html, app.css, app.js) is turned into a C array per file
 * at build time by server/web/embed.cmake, like the OpenAPI document, so the
 * page served at GET / is always the one in the repository and needs no file
 * at run time. Read-only data; thread-safe.
 */
#ifndef SRV_WEB_ASSETS_H
#define SRV_WEB_ASSETS_H

#include <stddef.h>

struct srv_web_asset {
    const char *path;          /* relative to server/web, e.g. "app.js" */
    const char *ctype;         /* Content-Type */
    const unsigned char *data; /* NUL-terminated; len excludes the NUL */
    size_t len;
};

extern const struct srv_web_asset srv_web_assets[];
extern const size_t srv_web_n_assets;

#endif
