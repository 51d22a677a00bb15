/* Unit tests for daemon/sniff.c and etag_match(): upload types, ETags. */
#include <stdio.h>

#include "http.h"
#include "sniff.h"
#include "unit.h"

#define SNIFF(lit)	sniff_audio((const unsigned char *)(lit), sizeof (lit) - 1)

static int
is(const char *got, const char *want)
{
	if (got == NULL || want == NULL)
		return got == want;
	return strcmp(got, want) == 0;
}

static void
test_magic(void)
{
	ok(is(SNIFF("RIFF\x24\x08\0\0WAVEfmt "), "audio/wav"), "RIFF/WAVE is wav");
	ok(is(SNIFF("RIFF\x24\x08\0\0AVI LIST"), NULL), "RIFF/AVI is not");
	ok(is(SNIFF("RIFF\x24\x08"), NULL), "a truncated RIFF is nothing");
	ok(is(SNIFF("ID3\x04\0\0\0\0\0\x10"), "audio/mpeg"), "ID3v2.4 is mpeg");
	ok(is(SNIFF("ID3\x04\0\0\0\0\x80\x10"), NULL), "ID3 with a bad size is not");
	ok(is(SNIFF("\xff\xfb\x90\x64"), "audio/mpeg"), "an MPEG-1 layer III frame");
	ok(is(SNIFF("\xff\xf9\x50\x80"), NULL), "layer bits 00 (ADTS AAC) is not mpeg");
	ok(is(SNIFF("\xff\xfb\xf0\x64"), NULL), "bitrate index 15 is not");
	ok(is(SNIFF("\xff\xfb\x9c\x64"), NULL), "sample-rate index 3 is not");
	ok(is(SNIFF("OggS\0\x02"), "audio/ogg"), "OggS is ogg");
	ok(is(SNIFF("fLaC\0\0\0\x22"), "audio/flac"), "fLaC is flac");
	ok(is(SNIFF("\x1a\x45\xdf\xa3\x9f\x42\x86"), "audio/webm"), "EBML is webm");
	ok(is(SNIFF("\x1a\x45\xdf"), NULL), "a truncated EBML is nothing");
	ok(is(SNIFF("\x89PNG\r\n\x1a\n"), NULL), "PNG is nothing");
	ok(is(SNIFF(""), NULL), "empty is nothing");
}

static void
test_declared(void)
{
	ok(is(sniff_declared("audio/wav"), "audio/wav"), "audio/wav");
	ok(is(sniff_declared("Audio/X-WAV"), "audio/wav"), "case-insensitive alias");
	ok(is(sniff_declared("audio/ogg; codecs=opus"), "audio/ogg"), "parameters ignored");
	ok(is(sniff_declared("audio/mp3"), "audio/mpeg"), "audio/mp3 is mpeg");
	ok(is(sniff_declared("audio/wavx"), NULL), "no prefix matches");
	ok(is(sniff_declared("text/plain"), NULL), "text/plain refused");
	ok(is(sniff_declared(NULL), NULL), "no header refused");
	ok(is(sniff_declared("audio/webm"), NULL), "webm is not for /api/files");
	ok(is(sniff_type("audio/webm;codecs=opus"), "audio/webm"), "webm is a type");
	ok(is(sniff_type("audio/x-wav"), "audio/wav"), "sniff_type knows the rest");
	ok(is(sniff_type("text/plain"), NULL), "sniff_type refuses the unknown");
}

static void
test_etag(void)
{
	ok(etag_match("\"abc\"", "\"abc\""), "exact");
	ok(etag_match("\"x\", W/\"abc\"", "\"abc\""), "in a list, weak");
	ok(etag_match("*", "\"abc\""), "star");
	ok(!etag_match("\"abcd\"", "\"abc\""), "no prefix match");
	ok(!etag_match("\"ab\"", "\"abc\""), "shorter is no match");
	ok(!etag_match("", "\"abc\""), "empty");
	ok(!etag_match(NULL, "\"abc\""), "absent");
	ok(!etag_match(" , ,", "\"abc\""), "only separators");
}

int
main(void)
{
	test_magic();
	test_declared();
	test_etag();
	return unit_done();
}
