/* json.c - JSON string escaping.  Bytes >= 0x80 pass through unchanged
 * (UTF-8 file names stay readable); control bytes are escaped. */
#include "json.h"

void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	if (s == NULL)
		s = "";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
