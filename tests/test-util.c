#include "config.h"
#include "tap.h"
int main(void) { ok(1, "placeholder until the util tests land"); return done_testing(); }
