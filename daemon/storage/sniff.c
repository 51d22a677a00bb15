/*
 * Magic bytes of the audio formats accepted for prompts and recordings:
 * WAV (RIFF/WAVE), MPEG audio (an ID3v2 tag or a valid frame header), Ogg
 * and FLAC; and WebM (an EBML header), which only browser recordings use
 * (docs/api.md, "Browser recordings"), not /api/files. Reads at most the first 12 bytes of outside input
 * (tests/fuzz/fuzz-sniff.c).
 */
#include <string.h>
#include <strings.h>

#include "sniff.h"

static const struct {
	const char	*declared, *canonical;
	int		 files;		/* accepted by /api/files */
} types[] = {
	{ "audio/wav", "audio/wav", 1 },
	{ "audio/x-wav", "audio/wav", 1 },
	{ "audio/wave", "audio/wav", 1 },
	{ "audio/vnd.wave", "audio/wav", 1 },
	{ "audio/mpeg", "audio/mpeg", 1 },
	{ "audio/mp3", "audio/mpeg", 1 },
	{ "audio/ogg", "audio/ogg", 1 },
	{ "application/ogg", "audio/ogg", 1 },
	{ "audio/flac", "audio/flac", 1 },
	{ "audio/x-flac", "audio/flac", 1 },
	{ "audio/webm", "audio/webm", 0 },
	{ "video/webm", "audio/webm", 0 },
};

static const char *
lookup(const char *ctype, int files)
{
	size_t	 n;

	if (ctype == NULL)
		return NULL;
	n = strcspn(ctype, "; \t");
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		if (strlen(types[i].declared) == n &&
		    strncasecmp(ctype, types[i].declared, n) == 0 &&
		    (types[i].files || !files))
			return types[i].canonical;
	}
	return NULL;
}

/* An MPEG-1/2/2.5 audio frame header: sync, a layer, sane rate fields. */
static int
mpeg_frame(const unsigned char *p)
{
	int	 version = (p[1] >> 3) & 3, layer = (p[1] >> 1) & 3;
	int	 bitrate = p[2] >> 4, rate = (p[2] >> 2) & 3;

	return p[0] == 0xff && (p[1] & 0xe0) == 0xe0 && version != 1 &&
	    layer != 0 && bitrate != 15 && rate != 3;
}

const char *
sniff_audio(const unsigned char *p, size_t len)
{
	if (len >= 12 && memcmp(p, "RIFF", 4) == 0 &&
	    memcmp(p + 8, "WAVE", 4) == 0)
		return "audio/wav";
	if (len >= 4 && memcmp(p, "OggS", 4) == 0)
		return "audio/ogg";
	if (len >= 4 && memcmp(p, "fLaC", 4) == 0)
		return "audio/flac";
	if (len >= 4 && memcmp(p, "\x1a\x45\xdf\xa3", 4) == 0)
		return "audio/webm";
	if (len >= 10 && memcmp(p, "ID3", 3) == 0 && p[3] >= 2 && p[3] <= 4 &&
	    (p[6] | p[7] | p[8] | p[9]) < 0x80)
		return "audio/mpeg";
	if (len >= 4 && mpeg_frame(p))
		return "audio/mpeg";
	return NULL;
}

const char *
sniff_declared(const char *ctype)
{
	return lookup(ctype, 1);
}

const char *
sniff_type(const char *ctype)
{
	return lookup(ctype, 0);
}
