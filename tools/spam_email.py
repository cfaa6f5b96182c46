"""The text of a raw SpamAssassin email that the text models read (mirrored by the C++
raceit::model::email_text): the Subject header's value, a space, then the body (everything after the
first empty line; CRLF counts as LF). Bytes in, bytes out."""


def email_text(raw):
    header, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    subject = b""
    for line in header.split(b"\n"):
        if line[:8].lower() == b"subject:":
            subject = line[8:]
            break
    return subject + b" " + body
