/* json.h - writing JSON strings safely (paths and command lines come from
 * users and may hold any byte). */
#ifndef VIGIL_JSON_H
#define VIGIL_JSON_H
#include <stdio.h>
void json_str(FILE *f, const char *s);
#endif
