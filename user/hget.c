// hget [-t SECS] URL [FILE]: fetch http://HOST[:PORT]/PATH over xv6's TCP
// (HTTP/1.1, RFC 9112; "Connection: close"), HOST a dotted quad or a name
// (user/resolv.c). The body goes to FILE if given; either way hget prints
//   hget: STATUS BYTES bytes sha256 HEX
// (SHA-256 of the body, FIPS 180-4: user/sha256.c), so a download too big
// for xv6's file system can still be checked. Exit 0 for a 200 with the
// whole body (Content-Length, or up to the close), else 1, after a line
//   hget: read failed after GOT of WANT bytes: WHY
// if the connection failed (WHY from SO_ERROR: reset, timed out, or no
// data for SECS s).
//
// -t SECS: give up on a server silent for SECS seconds: a read waits at
// most SECS (SO_RCVTIMEO), and the connection stops retransmitting after
// about as long (TCP_MAXRTX: RFC 1122 4.2.3.5's R2, which the application
// may set per connection). Without -t a read waits for ever: a receiver
// has nothing to retransmit, so TCP alone never notices a silent server.

#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "kernel/socket.h"
#include "user/user.h"
#include "user/sha256.h"

#define HDRMAX 4096

static char buf[HDRMAX + 1];
static int idle;          // -t SECS: 0 = wait for ever

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

// Retransmission timeouts in a row that take about secs seconds (the RTO
// starts at 1 s or more and doubles each time): 1 + 2 + ... + 2^n >= secs,
// at least 3 (RFC 1122's R1).
static int
rtxfor(int secs)
{
  int n = 3;

  while(n < TCP_MAXRTX_MAX && (2 << n) - 1 < secs)
    n++;
  return n;
}

// Say on stderr that reading fd failed, after got of want body bytes
// (got < 0: before the head), and why: SO_ERROR, else -t's receive
// timeout ran out.
static void
failed(int fd, long got, long want)
{
  int e = sockopt(fd, SO_ERROR, 0);

  if(got < 0)
    fprintf(2, "hget: no response: ");
  else
    fprintf(2, "hget: read failed after %ld of %ld bytes: ", got, want);
  if(e == SOERR_RESET)
    fprintf(2, "connection reset\n");
  else if(e == SOERR_TIMEOUT)
    fprintf(2, "connection timed out\n");
  else if(e == SOERR_ABORTED)
    fprintf(2, "connection aborted\n");
  else if(idle)
    fprintf(2, "no data for %d s\n", idle);
  else
    fprintf(2, "read error\n");
}

// Connect to host:port (a name or a dotted quad) with -t's options set.
// An fd, or exits with a message.
static int
open_conn(char *host, int port)
{
  uint32 addr;
  int fd, r;

  if((r = resolve_host(host, &addr)) != 0){
    fprintf(2, "hget: %s: %s\n", host, resolve_strerror(r));
    exit(1);
  }
  if((fd = tcpconnect(addr, port)) < 0){
    fprintf(2, "hget: connect to %s:%d failed\n", host, port);
    exit(1);
  }
  if(idle && (sockopt(fd, SO_RCVTIMEO, idle * 1000) < 0 ||
              sockopt(fd, TCP_MAXRTX, rtxfor(idle)) < 0)){
    fprintf(2, "hget: sockopt failed\n");
    exit(1);
  }
  return fd;
}

// Hash (and write to out, if >= 0) the body: the extra bytes of it at
// buf + hlen, then what fd delivers, up to want bytes (want < 0: to the
// end). Returns the count; *r is the last read's result (0 at the end).
static long
body(int fd, int out, int hlen, int extra, long want, struct sha256 *s, int *r)
{
  long got = 0;

  for(char *p = buf + hlen; ; p = buf){
    int n = p == buf + hlen ? extra : *r;
    if(want >= 0 && got + n > want)
      n = want - got;
    sha256_update(s, p, n);
    if(out >= 0 && write(out, p, n) != n){
      fprintf(2, "hget: write failed\n");
      exit(1);
    }
    got += n;
    if((want >= 0 && got >= want) || (*r = read(fd, buf, HDRMAX)) <= 0)
      return got;
  }
}

int
main(int argc, char *argv[])
{
  char host[64], *path, hex[65];
  int port, fd, out = -1, hlen, extra, status, r = 0;
  long want, got;
  struct sha256 s;
  uint8 d[32];

  if(argc >= 3 && strcmp(argv[1], "-t") == 0){
    idle = atoi(argv[2]);
    argc -= 2;
    argv += 2;
  }
  if(argc < 2 || argc > 3 || idle < 0 || idle > SO_MAXTIMEO / 1000 ||
     parseurl(argv[1], host, &port, &path) < 0){
    fprintf(2, "usage: hget [-t SECS] http://HOST[:PORT]/PATH [FILE]\n");
    exit(1);
  }
  fd = open_conn(host, port);
  if(argc == 3 && (out = open(argv[2], O_CREATE | O_WRONLY | O_TRUNC)) < 0){
    fprintf(2, "hget: cannot create %s\n", argv[2]);
    exit(1);
  }
  if(request(fd, host, path) < 0 || (hlen = readhead(fd, &extra)) < 0){
    failed(fd, -1, 0);
    exit(1);
  }
  status = memcmp(buf, "HTTP/1.", 7) == 0 ? atoi(buf + 9) : 0;
  want = hdrnum(buf, "content-length");
  sha256_init(&s);
  got = body(fd, out, hlen, extra, want, &s, &r);
  if(r < 0)
    failed(fd, got, want);
  close(fd);
  if(out >= 0)
    close(out);
  sha256_final(&s, d);
  sha256_hex(d, hex);
  printf("hget: %d %ld bytes sha256 %s\n", status, got, hex);
  exit(status == 200 && (want < 0 ? r == 0 : got == want) ? 0 : 1);
}
