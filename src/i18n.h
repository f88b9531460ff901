/* i18n.h - gettext for every user-facing message. */
#ifndef MAILOUT_I18N_H
#define MAILOUT_I18N_H

#include <libintl.h>
#define _(s) gettext(s)
#define N_(s) (s)

#endif
