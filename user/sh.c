// sh: the shell.
//
// Reads a line, splits it into tokens, parses the tokens into a tree with a
// recursive-descent parser and runs the tree. The grammar:
//
//   line     := [ list ]
//   list     := pipeline { (';' | '&') [ pipeline ] }
//   pipeline := command [ '|' pipeline ]
//   command  := '(' list ')' { redir } | ( word | redir ) { word | redir }
//   redir    := ('<' | '>') word
//
// "a & b" runs a in the background and b in the foreground; "( )" runs a
// list in a subshell. `cd` is built in. Programs are looked up in the
// current directory and then in /. Everything lives in static arrays that
// are reset for each line; nothing is malloc'd.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define MAXLINE   256
#define MAXTOK    64
#define MAXNODE   32
#define MAXREDIR  4

// Tokens.
enum { TOK_WORD, TOK_IN, TOK_OUT, TOK_PIPE, TOK_SEMI, TOK_AMP,
       TOK_OPEN, TOK_CLOSE, TOK_END };

struct token {
  int kind;
  char *word;    // TOK_WORD: the text, NUL-terminated, in words[]
};

// Tree nodes.
enum { N_CMD, N_GROUP, N_PIPE, N_SEQ, N_BACK };

struct redir {
  int fd;        // 0 for '<', 1 for '>'
  char *file;
};

struct node {
  int kind;
  struct node *left;    // N_PIPE, N_SEQ: first part; N_GROUP, N_BACK: body
  struct node *right;   // N_PIPE, N_SEQ: second part
  char *argv[MAXARG+1]; // N_CMD: the words, 0-terminated
  int argc;
  struct redir redir[MAXREDIR];  // N_CMD and N_GROUP
  int nredir;
};

static char line[MAXLINE];
static char words[MAXLINE*2];   // token text, each word NUL-terminated
static struct token toks[MAXTOK];
static int ntok;                // tokens in toks[], TOK_END included
static int tokpos;              // parser's next token
static struct node nodes[MAXNODE];
static int nnode;

static struct node *parselist(void);
static void run(struct node *n) __attribute__((noreturn));
static void runcmd(struct node *n) __attribute__((noreturn));
static void runpipe(struct node *n) __attribute__((noreturn));

// ---- tokens ----------------------------------------------------------------

static const char specials[] = "<>|;&()";
static const int specialkind[] = { TOK_IN, TOK_OUT, TOK_PIPE, TOK_SEMI,
                                   TOK_AMP, TOK_OPEN, TOK_CLOSE };

static int
isspace(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v';
}

// Add a token. Returns 0, or -1 if the token array is full.
static int
addtok(int kind, char *word)
{
  if(ntok >= MAXTOK - 1)
    return -1;
  toks[ntok].kind = kind;
  toks[ntok].word = word;
  ntok++;
  return 0;
}

// Split s into toks[], ending with TOK_END. Returns 0, or -1 if the
// line has too many tokens.
static int
tokenize(char *s)
{
  char *w = words, *sp;

  ntok = 0;
  while(*s){
    if(isspace(*s)){
      s++;
    } else if((sp = strchr(specials, *s)) != 0){
      if(addtok(specialkind[sp - specials], 0) < 0)
        return -1;
      s++;
    } else {
      if(addtok(TOK_WORD, w) < 0)
        return -1;
      while(*s && !isspace(*s) && strchr(specials, *s) == 0)
        *w++ = *s++;
      *w++ = 0;
    }
  }
  toks[ntok].kind = TOK_END;
  ntok++;
  return 0;
}

static int
peek(void)
{
  return toks[tokpos].kind;
}

// ---- parser ----------------------------------------------------------------
// Each parse function returns a tree, or 0 after printing a syntax error.

static struct node*
newnode(int kind, struct node *left, struct node *right)
{
  struct node *n;

  if(nnode >= MAXNODE){
    fprintf(2, "sh: command too long\n");
    return 0;
  }
  n = &nodes[nnode++];
  memset(n, 0, sizeof(*n));
  n->kind = kind;
  n->left = left;
  n->right = right;
  return n;
}

static void*
syntax(char *what)
{
  fprintf(2, "sh: syntax error: %s\n", what);
  return 0;
}

// Parse "< file" or "> file" into n. Returns 0, or -1 on error.
static int
parseredir(struct node *n)
{
  int fd = (toks[tokpos].kind == TOK_IN) ? 0 : 1;

  tokpos++;
  if(peek() != TOK_WORD){
    syntax("missing file name after < or >");
    return -1;
  }
  if(n->nredir >= MAXREDIR){
    syntax("too many redirections");
    return -1;
  }
  n->redir[n->nredir].fd = fd;
  n->redir[n->nredir].file = toks[tokpos++].word;
  n->nredir++;
  return 0;
}

// Words and redirections up to the next operator.
static struct node*
parsesimple(void)
{
  struct node *n;

  if((n = newnode(N_CMD, 0, 0)) == 0)
    return 0;
  for(;;){
    if(peek() == TOK_WORD){
      if(n->argc >= MAXARG)
        return syntax("too many arguments");
      n->argv[n->argc++] = toks[tokpos++].word;
    } else if(peek() == TOK_IN || peek() == TOK_OUT){
      if(parseredir(n) < 0)
        return 0;
    } else {
      break;
    }
  }
  if(n->argc == 0)
    return syntax("missing command");
  return n;
}

// A simple command, or a parenthesised list with its redirections.
static struct node*
parsecommand(void)
{
  struct node *body, *n;

  if(peek() != TOK_OPEN)
    return parsesimple();
  tokpos++;
  if((body = parselist()) == 0)
    return 0;
  if(peek() != TOK_CLOSE)
    return syntax("missing )");
  tokpos++;
  if((n = newnode(N_GROUP, body, 0)) == 0)
    return 0;
  while(peek() == TOK_IN || peek() == TOK_OUT){
    if(parseredir(n) < 0)
      return 0;
  }
  return n;
}

static struct node*
parsepipeline(void)
{
  struct node *left, *right;

  if((left = parsecommand()) == 0)
    return 0;
  if(peek() != TOK_PIPE)
    return left;
  tokpos++;
  if((right = parsepipeline()) == 0)
    return 0;
  return newnode(N_PIPE, left, right);
}

static struct node*
parselist(void)
{
  struct node *n, *next;
  int sep;

  if((n = parsepipeline()) == 0)
    return 0;
  while(peek() == TOK_SEMI || peek() == TOK_AMP){
    sep = toks[tokpos++].kind;
    if(sep == TOK_AMP && (n = newnode(N_BACK, n, 0)) == 0)
      return 0;
    if(peek() == TOK_END || peek() == TOK_CLOSE)
      break;  // a trailing ; or &
    if((next = parsepipeline()) == 0)
      return 0;
    if((n = newnode(N_SEQ, n, next)) == 0)
      return 0;
  }
  return n;
}

// Parse the whole token list. Returns the tree, or 0 for an empty line
// or a syntax error.
static struct node*
parseline(void)
{
  struct node *n;

  nnode = 0;
  tokpos = 0;
  if(peek() == TOK_END)
    return 0;
  if((n = parselist()) == 0)
    return 0;
  if(peek() != TOK_END)
    return syntax("unexpected ) or operator");
  return n;
}

// ---- running ---------------------------------------------------------------

static int
forkorfail(void)
{
  int pid = fork();

  if(pid < 0)
    fprintf(2, "sh: fork failed\n");
  return pid;
}

// Wait until the child pid has exited.
static void
waitfor(int pid)
{
  int w;

  do {
    w = wait(0);
  } while(w != pid && w >= 0);
}

// The cd builtin. Returns 0, or -1 after printing why it failed.
static int
cd(struct node *n)
{
  char *dir = n->argc > 1 ? n->argv[1] : "/";

  if(chdir(dir) < 0){
    fprintf(2, "cd: cannot cd to %s\n", dir);
    return -1;
  }
  return 0;
}

// Apply n's redirections to this process; exits if a file cannot be opened.
static void
redirect(struct node *n)
{
  int i, mode;

  for(i = 0; i < n->nredir; i++){
    mode = n->redir[i].fd == 0 ? O_RDONLY : O_WRONLY|O_CREATE|O_TRUNC;
    close(n->redir[i].fd);
    // open returns the lowest free descriptor: the one just closed
    if(open(n->redir[i].file, mode) != n->redir[i].fd){
      fprintf(2, "sh: cannot open %s\n", n->redir[i].file);
      exit(1);
    }
  }
}

// Run a simple command in this process: exec, never return.
static void
runcmd(struct node *n)
{
  char path[MAXPATH];

  redirect(n);
  if(strcmp(n->argv[0], "cd") == 0)
    exit(cd(n) < 0);
  exec(n->argv[0], n->argv);
  // not in this directory: try the root, where the programs live
  if(n->argv[0][0] != '/' && strlen(n->argv[0]) + 2 <= sizeof(path)){
    path[0] = '/';
    strcpy(path + 1, n->argv[0]);
    exec(path, n->argv);
  }
  fprintf(2, "exec %s failed\n", n->argv[0]);
  exit(1);
}

// Run left | right: each side in its own child, joined by a pipe.
static void
runpipe(struct node *n)
{
  int p[2];

  if(pipe(p) < 0){
    fprintf(2, "sh: pipe failed\n");
    exit(1);
  }
  if(forkorfail() == 0){
    close(1);
    dup(p[1]);
    close(p[0]);
    close(p[1]);
    run(n->left);
  }
  if(forkorfail() == 0){
    close(0);
    dup(p[0]);
    close(p[0]);
    close(p[1]);
    run(n->right);
  }
  // the reader sees end of file only once every write end is closed
  close(p[0]);
  close(p[1]);
  wait(0);
  wait(0);
  exit(0);
}

// Run tree n in this (child) process and exit.
static void
run(struct node *n)
{
  int pid;

  switch(n->kind){
  case N_CMD:
    runcmd(n);
  case N_GROUP:
    redirect(n);
    run(n->left);
  case N_PIPE:
    runpipe(n);
  case N_SEQ:
    if((pid = forkorfail()) == 0)
      run(n->left);
    waitfor(pid);
    run(n->right);
  case N_BACK:
    if(forkorfail() == 0)
      run(n->left);
    exit(0);
  }
  exit(1);
}

// Run tree n from the shell process itself: builtins run here, everything
// else in children. Background jobs are started by a short-lived child, so
// they become orphans that init reaps and the shell never waits for them.
static void
runtop(struct node *n)
{
  int pid;

  if(n->kind == N_SEQ){
    runtop(n->left);
    runtop(n->right);
    return;
  }
  if(n->kind == N_CMD && strcmp(n->argv[0], "cd") == 0){
    cd(n);
    return;
  }
  if((pid = forkorfail()) < 0)
    return;
  if(pid == 0){
    if(n->kind == N_BACK){
      if(forkorfail() == 0)
        run(n->left);
      exit(0);
    }
    run(n);
  }
  waitfor(pid);
}

int
main(void)
{
  int fd;
  struct node *tree;

  // make sure fds 0, 1 and 2 are open, on the console if nothing else
  while((fd = open("console", O_RDWR)) >= 0){
    if(fd >= 3){
      close(fd);
      break;
    }
  }
  for(;;){
    fprintf(2, "$ ");
    gets(line, sizeof(line));
    if(line[0] == 0)
      exit(0);  // end of input
    if(tokenize(line) < 0){
      fprintf(2, "sh: too many tokens\n");
      continue;
    }
    if((tree = parseline()) != 0)
      runtop(tree);
  }
}
