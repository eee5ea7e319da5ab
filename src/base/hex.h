/* hex.h: one hex digit's value, for the parsers that decode %XX, \xHH and hex digests. */
#ifndef GG_HEX_H
#define GG_HEX_H

/* 0..15 for a hex digit in either case, -1 for anything else. */
static inline int gg_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
