// hget URL [FILE]: fetch http://HOST[:PORT]/PATH over xv6's TCP (HTTP/1.1,
// RFC 9112; "Connection: close"), HOST a dotted quad or a name
// (user/resolv.c). The body goes to FILE if given; either way hget prints
//   hget: STATUS BYTES bytes sha256 HEX
// (SHA-256 of the body, FIPS 180-4: user/sha256.c), so a download too big
// for xv6's file system can still be checked. Exit 0 for a 200 with the
// whole body (Content-Length, or up to the close), else 1.

#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"
#include "user/sha256.h"

#define HDRMAX 4096

static char buf[HDRMAX + 1];

// Split url into host, port and path (path keeps its '/'). 0 or -1.
static int
parseurl(char *url, char *host, int *port, char **path)
{
  char *p;
  int n;

  if(memcmp(url, "http://", 7) != 0)
    return -1;
  url += 7;
  for(n = 0; url[n] && url[n] != ':' && url[n] != '/'; n++)
    if(n >= 63)
      return -1;
  memmove(host, url, n);
  host[n] = 0;
  p = url + n;
  *port = 80;
  if(*p == ':'){
    *port = atoi(p + 1);
    while(*p && *p != '/')
      p++;
  }
  *path = *p ? p : "/";
  return n > 0 && *port > 0 && *port < 65536 ? 0 : -1;
}

// A header's value as a number (Content-Length), or -1 if absent.
static long
hdrnum(char *h, const char *name)
{
  int nl = strlen(name);

  for(char *p = h; (p = strchr(p, '\n')) != 0; ){
    p++;
    int i;
    for(i = 0; i < nl; i++){
      int c = p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i];
      if(c != name[i])
        break;
    }
    if(i == nl && p[nl] == ':'){
      char *v = p + nl + 1;
      long x = 0;
      while(*v == ' ')
        v++;
      while(*v >= '0' && *v <= '9')
        x = x * 10 + *v++ - '0';
      return x;
    }
  }
  return -1;
}

// Send the request on fd.
static int
request(int fd, char *host, char *path)
{
  char *parts[] = { "GET ", path, " HTTP/1.1\r\nHost: ", host,
                    "\r\nUser-Agent: xv6-hget\r\nConnection: close\r\n\r\n" };
  int n = 0;

  for(int i = 0; i < 5; i++){
    int l = strlen(parts[i]);
    memmove(buf + n, parts[i], l);
    n += l;
  }
  return write(fd, buf, n) == n ? 0 : -1;
}

// Read the head into buf; returns its length (NUL at its blank line) and
// sets *extra to the body bytes read with it; -1 on error.
static int
readhead(int fd, int *extra)
{
  int n = 0, r;

  for(;;){
    if(n == HDRMAX || (r = read(fd, buf + n, HDRMAX - n)) <= 0)
      return -1;
    n += r;
    buf[n] = 0;
    for(int i = 0; i + 3 < n; i++){
      if(buf[i] == '\r' && buf[i+1] == '\n' && buf[i+2] == '\r' && buf[i+3] == '\n'){
        buf[i + 2] = 0;
        *extra = n - (i + 4);
        return i + 4;
      }
    }
  }
}

int
main(int argc, char *argv[])
{
  char host[64], *path, hex[65];
  int port, fd, out = -1, hlen, extra, status, r;
  long want, got = 0;
  uint32 addr;
  struct sha256 s;
  uint8 d[32];

  if(argc < 2 || argc > 3 || parseurl(argv[1], host, &port, &path) < 0){
    fprintf(2, "usage: hget http://HOST[:PORT]/PATH [FILE]\n");
    exit(1);
  }
  if((r = resolve_host(host, &addr)) != 0){
    fprintf(2, "hget: %s: %s\n", host, resolve_strerror(r));
    exit(1);
  }
  if((fd = tcpconnect(addr, port)) < 0){
    fprintf(2, "hget: connect to %s:%d failed\n", host, port);
    exit(1);
  }
  if(argc == 3 && (out = open(argv[2], O_CREATE | O_WRONLY | O_TRUNC)) < 0){
    fprintf(2, "hget: cannot create %s\n", argv[2]);
    exit(1);
  }
  if(request(fd, host, path) < 0 || (hlen = readhead(fd, &extra)) < 0){
    fprintf(2, "hget: no response\n");
    exit(1);
  }
  status = memcmp(buf, "HTTP/1.", 7) == 0 ? atoi(buf + 9) : 0;
  want = hdrnum(buf, "content-length");
  sha256_init(&s);
  for(char *p = buf + hlen; ; p = buf){
    int n = p == buf + hlen ? extra : r;
    if(want >= 0 && got + n > want)
      n = want - got;
    sha256_update(&s, p, n);
    if(out >= 0 && write(out, p, n) != n){
      fprintf(2, "hget: write to %s failed\n", argv[2]);
      exit(1);
    }
    got += n;
    if((want >= 0 && got >= want) || (r = read(fd, buf, HDRMAX)) <= 0)
      break;
  }
  close(fd);
  if(out >= 0)
    close(out);
  sha256_final(&s, d);
  sha256_hex(d, hex);
  printf("hget: %d %ld bytes sha256 %s\n", status, got, hex);
  exit(status == 200 && (want < 0 ? r == 0 : got == want) ? 0 : 1);
}
