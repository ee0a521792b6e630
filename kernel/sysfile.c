// File-system system calls: argument checking and the glue between file
// descriptors, struct file (file.c) and inodes (fs.c).
//
// Every argument comes from a user program and is checked here: file
// descriptors against the process's table, lengths for sign, pointers by
// copyin/copyout. A bad argument returns -1, never panics.
//
// Anything that may write the disk runs between begin_op() and end_op(),
// and a locked inode is always unlocked before end_op().

#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/defs.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/fs.h"
#include "kernel/sleeplock.h"
#include "kernel/file.h"
#include "kernel/fcntl.h"

// Fetch syscall argument n as a file descriptor. Returns 0 and sets
// *pfd and *pf (either may be 0), or -1 if it is not an open descriptor.
int
argfd(int n, int *pfd, struct file **pf)
{
  int fd;
  struct file *f;

  argint(n, &fd);
  if(fd < 0 || fd >= NOFILE || (f = myproc()->ofile[fd]) == 0)
    return -1;
  if(pfd)
    *pfd = fd;
  if(pf)
    *pf = f;
  return 0;
}

// Give f the lowest free descriptor of the current process. The
// descriptor takes over the caller's reference to f. Returns the
// descriptor, or -1 if the table is full (the caller keeps f).
int
fdalloc(struct file *f)
{
  struct proc *p = myproc();
  int fd;

  for(fd = 0; fd < NOFILE; fd++){
    if(p->ofile[fd] == 0){
      p->ofile[fd] = f;
      return fd;
    }
  }
  return -1;
}

// dup(fd): a second descriptor for the same open file.
uint64
sys_dup(void)
{
  struct file *f;
  int fd;

  if(argfd(0, 0, &f) < 0)
    return -1;
  if((fd = fdalloc(f)) < 0)
    return -1;
  filedup(f);
  return fd;
}

// read(fd, buf, n): bytes read, 0 at end of file, or -1.
uint64
sys_read(void)
{
  struct file *f;
  uint64 addr;
  int n;

  argaddr(1, &addr);
  argint(2, &n);
  if(argfd(0, 0, &f) < 0 || n < 0)
    return -1;
  return fileread(f, addr, n);
}

// write(fd, buf, n): bytes written, or -1.
uint64
sys_write(void)
{
  struct file *f;
  uint64 addr;
  int n;

  argaddr(1, &addr);
  argint(2, &n);
  if(argfd(0, 0, &f) < 0 || n < 0)
    return -1;
  return filewrite(f, addr, n);
}

// close(fd): 0 or -1.
uint64
sys_close(void)
{
  struct file *f;
  int fd;

  if(argfd(0, &fd, &f) < 0)
    return -1;
  myproc()->ofile[fd] = 0;
  fileclose(f);
  return 0;
}

// fstat(fd, struct stat *st): 0 or -1.
uint64
sys_fstat(void)
{
  struct file *f;
  uint64 st;

  argaddr(1, &st);
  if(argfd(0, 0, &f) < 0)
    return -1;
  return filestat(f, st);
}

// link(old, new): a second name for the file old. Not for directories,
// and both names must be on the same device. 0 or -1.
uint64
sys_link(void)
{
  char old[MAXPATH], new[MAXPATH], name[DIRSIZ];
  struct inode *ip, *dp;

  if(argstr(0, old, MAXPATH) < 0 || argstr(1, new, MAXPATH) < 0)
    return -1;

  begin_op();
  if((ip = namei(old)) == 0){
    end_op();
    return -1;
  }
  ilock(ip);
  if(ip->type == T_DIR){
    iunlockput(ip);
    end_op();
    return -1;
  }
  // Count the new link first, so a crash never leaves a name to an
  // inode whose nlink is too small.
  ip->nlink++;
  iupdate(ip);
  iunlock(ip);

  if((dp = nameiparent(new, name)) == 0)
    goto bad;
  ilock(dp);
  if(dp->dev != ip->dev || dirlink(dp, name, ip->inum) < 0){
    iunlockput(dp);
    goto bad;
  }
  iunlockput(dp);
  iput(ip);
  end_op();
  return 0;

bad:
  ilock(ip);
  ip->nlink--;
  iupdate(ip);
  iunlockput(ip);
  end_op();
  return -1;
}

// Does directory dp hold nothing but "." and ".."? Caller holds dp->lock.
static int
isdirempty(struct inode *dp)
{
  struct dirent de;
  uint off;

  // Entries 0 and 1 are "." and "..".
  for(off = 2 * sizeof(de); off + sizeof(de) <= dp->size; off += sizeof(de)){
    if(readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      return 0;
    if(de.inum != 0)
      return 0;
  }
  return 1;
}

// Remove the entry at offset off of dp, which names ip, and drop the
// link counts. Returns 0 or -1. Caller holds both locks, dp's first.
static int
unlink_entry(struct inode *dp, struct inode *ip, uint off)
{
  struct dirent de;

  memset(&de, 0, sizeof(de));
  if(writei(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
    return -1;
  if(ip->type == T_DIR){
    // ip's ".." no longer refers to dp.
    dp->nlink--;
    iupdate(dp);
  }
  ip->nlink--;
  iupdate(ip);
  return 0;
}

// unlink(path): remove a name; the file goes when its last link and its
// last open reference are gone. Directories must be empty. 0 or -1.
uint64
sys_unlink(void)
{
  char path[MAXPATH], name[DIRSIZ];
  struct inode *dp, *ip;
  uint off;
  int r = -1;

  if(argstr(0, path, MAXPATH) < 0)
    return -1;

  begin_op();
  if((dp = nameiparent(path, name)) == 0){
    end_op();
    return -1;
  }
  ilock(dp);
  if(namecmp(name, ".") == 0 || namecmp(name, "..") == 0)
    goto out;
  if((ip = dirlookup(dp, name, &off)) == 0)
    goto out;
  ilock(ip);
  if(ip->nlink < 1)
    panic("sys_unlink: inode has no links");
  if(ip->type != T_DIR || isdirempty(ip))
    r = unlink_entry(dp, ip, off);
  iunlockput(ip);

out:
  iunlockput(dp);
  end_op();
  return r;
}

// Enter the new inode ip into directory dp as name; a new directory
// also gets "." and "..". Returns 0 or -1. Caller holds both locks.
static int
link_new(struct inode *dp, struct inode *ip, char *name)
{
  if(ip->type == T_DIR){
    // "." does not count in ip->nlink, or ip could never be freed.
    if(dirlink(ip, ".", ip->inum) < 0 || dirlink(ip, "..", dp->inum) < 0)
      return -1;
  }
  if(dirlink(dp, name, ip->inum) < 0)
    return -1;
  if(ip->type == T_DIR){
    // The child's ".." is a link to dp.
    dp->nlink++;
    iupdate(dp);
  }
  return 0;
}

// Make a new inode of the given type named path and link it into its
// directory (with "." and ".." for a directory). If path exists and both
// it and the request are plain files or devices opened as T_FILE, return
// the existing inode instead. Returns the inode locked and referenced,
// or 0. Caller is inside a transaction.
static struct inode*
create(char *path, short type, short major, short minor)
{
  struct inode *ip, *dp;
  char name[DIRSIZ];

  if((dp = nameiparent(path, name)) == 0)
    return 0;
  ilock(dp);

  if((ip = dirlookup(dp, name, 0)) != 0){
    iunlockput(dp);
    ilock(ip);
    if(type == T_FILE && (ip->type == T_FILE || ip->type == T_DEVICE))
      return ip;
    iunlockput(ip);
    return 0;
  }

  if((ip = ialloc(dp->dev, type)) == 0){
    iunlockput(dp);
    return 0;
  }
  ilock(ip);
  ip->major = major;
  ip->minor = minor;
  ip->nlink = 1;
  iupdate(ip);

  if(link_new(dp, ip, name) < 0){
    // Unreferenced by any directory: iput() frees the inode and its blocks.
    ip->nlink = 0;
    iupdate(ip);
    iunlockput(ip);
    iunlockput(dp);
    return 0;
  }
  iunlockput(dp);
  return ip;
}

// Find (or with O_CREATE make) the inode for sys_open, returned locked.
// Refuses to open a directory for writing. Returns 0 on failure.
// Caller is inside a transaction.
static struct inode*
open_inode(char *path, int omode)
{
  struct inode *ip;

  if(omode & O_CREATE)
    return create(path, T_FILE, 0, 0);
  if((ip = namei(path)) == 0)
    return 0;
  ilock(ip);
  if(ip->type == T_DIR && (omode & (O_WRONLY | O_RDWR | O_TRUNC))){
    iunlockput(ip);
    return 0;
  }
  return ip;
}

// open(path, omode): a new descriptor, or -1.
uint64
sys_open(void)
{
  char path[MAXPATH];
  struct inode *ip;
  struct file *f = 0;
  int omode, fd = -1;

  argint(1, &omode);
  if(argstr(0, path, MAXPATH) < 0)
    return -1;

  begin_op();
  if((ip = open_inode(path, omode)) == 0){
    end_op();
    return -1;
  }
  if(ip->type == T_DEVICE && (ip->major < 0 || ip->major >= NDEV))
    goto bad;
  if((f = filealloc()) == 0 || (fd = fdalloc(f)) < 0)
    goto bad;

  if(ip->type == T_DEVICE){
    f->type = FD_DEVICE;
    f->major = ip->major;
  } else {
    f->type = FD_INODE;
    f->off = 0;
  }
  f->ip = ip;
  f->readable = !(omode & O_WRONLY);
  f->writable = (omode & O_WRONLY) || (omode & O_RDWR);
  if((omode & O_TRUNC) && ip->type == T_FILE)
    itrunc(ip);
  iunlock(ip);
  end_op();
  return fd;

bad:
  if(f)
    fileclose(f);  // still FD_NONE: releases only the table slot
  iunlockput(ip);
  end_op();
  return -1;
}

// mkdir(path): 0 or -1.
uint64
sys_mkdir(void)
{
  char path[MAXPATH];
  struct inode *ip;

  if(argstr(0, path, MAXPATH) < 0)
    return -1;
  begin_op();
  if((ip = create(path, T_DIR, 0, 0)) == 0){
    end_op();
    return -1;
  }
  iunlockput(ip);
  end_op();
  return 0;
}

// mknod(path, major, minor): make a device file. 0 or -1.
uint64
sys_mknod(void)
{
  char path[MAXPATH];
  struct inode *ip;
  int major, minor;

  argint(1, &major);
  argint(2, &minor);
  if(argstr(0, path, MAXPATH) < 0)
    return -1;
  if(major < 0 || major >= NDEV || minor < 0 || minor > 0x7fff)
    return -1;
  begin_op();
  if((ip = create(path, T_DEVICE, major, minor)) == 0){
    end_op();
    return -1;
  }
  iunlockput(ip);
  end_op();
  return 0;
}

// chdir(path): make path the current directory. 0 or -1.
uint64
sys_chdir(void)
{
  char path[MAXPATH];
  struct inode *ip;
  struct proc *p = myproc();

  if(argstr(0, path, MAXPATH) < 0)
    return -1;
  begin_op();
  if((ip = namei(path)) == 0){
    end_op();
    return -1;
  }
  ilock(ip);
  if(ip->type != T_DIR){
    iunlockput(ip);
    end_op();
    return -1;
  }
  iunlock(ip);
  iput(p->cwd);
  end_op();
  p->cwd = ip;
  return 0;
}

// Copy the user's NULL-terminated argv array (at uargv) into argv, one
// kalloc'ed page per string, with a 0 after the last. Returns 0, or -1
// if there are too many arguments, a copy fails or memory runs out.
// Either way the caller frees the non-zero entries of argv.
static int
fetch_argv(uint64 uargv, char **argv)
{
  uint64 uarg;
  int i;

  for(i = 0; i < MAXARG; i++){
    if(fetchaddr(uargv + i * sizeof(uint64), &uarg) < 0)
      return -1;
    if(uarg == 0)
      return 0;   // argv[i] is already 0
    if((argv[i] = kalloc()) == 0)
      return -1;
    if(fetchstr(uarg, argv[i], PGSIZE) < 0)
      return -1;
  }
  return -1;      // no room left for the terminating 0
}

// exec(path, argv): does not return on success (the new program starts
// with argc in a0); -1 on failure.
uint64
sys_exec(void)
{
  char path[MAXPATH], *argv[MAXARG];
  uint64 uargv;
  int i, r = -1;

  argaddr(1, &uargv);
  if(argstr(0, path, MAXPATH) < 0)
    return -1;
  memset(argv, 0, sizeof(argv));
  if(fetch_argv(uargv, argv) == 0)
    r = exec(path, argv);
  for(i = 0; i < MAXARG && argv[i] != 0; i++)
    kfree(argv[i]);
  return r;
}

// pipe(int fds[2]): fds[0] is the read end, fds[1] the write end. 0 or -1.
uint64
sys_pipe(void)
{
  struct proc *p = myproc();
  struct file *rf, *wf;
  uint64 fdarray;
  int fd0 = -1, fd1 = -1;

  argaddr(0, &fdarray);
  if(pipealloc(&rf, &wf) < 0)
    return -1;
  if((fd0 = fdalloc(rf)) < 0 || (fd1 = fdalloc(wf)) < 0)
    goto bad;
  if(copyout(p->pagetable, fdarray, (char *)&fd0, sizeof(fd0)) < 0 ||
     copyout(p->pagetable, fdarray + sizeof(fd0), (char *)&fd1, sizeof(fd1)) < 0)
    goto bad;
  return 0;

bad:
  if(fd0 >= 0)
    p->ofile[fd0] = 0;
  if(fd1 >= 0)
    p->ofile[fd1] = 0;
  fileclose(rf);
  fileclose(wf);
  return -1;
}
