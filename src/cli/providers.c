/* The provider chain of customize and serve: --providers NAME,... (else
 * $TAILOR_PROVIDERS, else the config file's `providers` line, else
 * "local"), each name other than "local" built from the configuration
 * (--config PATH, else $TAILOR_CONFIG, else ./tailor.conf when it exists,
 * else the OPENAI_* and ANTHROPIC_* environment). The embedded engine
 * ("local") always ends the chain: it is implied when missing, and names
 * after it are never reached, so they are refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/conf.h"
#include "util/str.h"

static int load_config(const char *path, tl_config **out)
{
    if (!path && getenv("TAILOR_CONFIG") && *getenv("TAILOR_CONFIG"))
        path = getenv("TAILOR_CONFIG");
    if (!path && access("tailor.conf", R_OK) == 0)
        path = "tailor.conf";
    tl_doc_error err = {0};
    tl_err e = path ? tl_config_load(path, out, &err) : tl_config_from_env(out);
    if (e == TL_OK)
        return TL_EXIT_OK;
    if (err.line)
        cli_error("config: %s:%d: %s", path ? path : "(environment)", err.line, err.message);
    else
        cli_error("config: %s: %s", path ? path : "(environment)",
                  err.message[0] ? err.message : tl_strerror(e));
    return TL_EXIT_BADINPUT;
}

/* Adds the provider called name[0..n) to cp. */
static int add_one(cli_providers *cp, const char *name, size_t n)
{
    char buf[128];
    if (n >= sizeof buf) {
        cli_error("providers: name too long: '%.*s'", (int)n, name);
        return TL_EXIT_BADINPUT;
    }
    memcpy(buf, name, n);
    buf[n] = '\0';
    for (size_t i = 0; i < cp->n; i++)
        if (strcmp(cp->p[i]->name, buf) == 0) {
            cli_error("providers: '%s' is named twice", buf);
            return TL_EXIT_BADINPUT;
        }
    if (cp->n == CLI_MAX_PROVIDERS) {
        cli_error("providers: more than %d providers", CLI_MAX_PROVIDERS);
        return TL_EXIT_BADINPUT;
    }
    const tl_provider_settings *s = tl_config_find(cp->cfg, buf);
    if (!s) {
        cli_error("providers: unknown provider '%s' (configure it in tailor.conf, or use "
                  "openai, anthropic or local)",
                  buf);
        return TL_EXIT_BADINPUT;
    }
    tl_err e = tl_config_create_provider(s, NULL, &cp->p[cp->n]);
    if (e) {
        cli_error("providers: cannot create '%s': %s", buf, tl_strerror(e));
        return e == TL_EINVAL ? TL_EXIT_BADINPUT : TL_EXIT_INTERNAL;
    }
    tl_provider_conf_from_settings(s, &cp->conf[cp->n]);
    cp->n++;
    return TL_EXIT_OK;
}

int cli_providers_open(const char *chain, const char *config_path, cli_providers *cp)
{
    memset(cp, 0, sizeof *cp);
    int rc = load_config(config_path, &cp->cfg);
    if (rc)
        return rc;
    if (!chain || !*chain)
        chain = getenv("TAILOR_PROVIDERS");
    if (!chain || !*chain)
        chain = tl_config_chain(cp->cfg);
    if (!chain || !*chain)
        chain = "local";
    bool local_seen = false;
    for (const char *p = chain; *p && rc == TL_EXIT_OK;) {
        size_t n = strcspn(p, ",");
        const char *item = p;
        size_t len = n;
        tl_str_trim(&item, &len);
        p += n + (p[n] == ',');
        if (len == 0)
            continue;
        if (local_seen) {
            cli_error("providers: '%.*s' comes after local, which never fails: put local last",
                      (int)len, item);
            rc = TL_EXIT_BADINPUT;
        } else if (len == 5 && memcmp(item, "local", 5) == 0) {
            local_seen = true;
        } else {
            rc = add_one(cp, item, len);
        }
    }
    if (rc)
        cli_providers_close(cp);
    return rc;
}

tl_err cli_providers_register(const cli_providers *cp, tl_engine *e)
{
    for (size_t i = 0; i < cp->n; i++) {
        tl_err err = tl_engine_add_provider(e, cp->p[i], &cp->conf[i]);
        if (err)
            return err;
    }
    return TL_OK;
}

void cli_providers_close(cli_providers *cp)
{
    for (size_t i = 0; i < cp->n; i++)
        tl_provider_destroy(cp->p[i]);
    cp->n = 0;
    tl_config_free(cp->cfg);
    cp->cfg = NULL;
}
