#include "config.h"
#include "tap.h"
int main(void) { ok(1, "placeholder until the conf tests land"); return done_testing(); }
