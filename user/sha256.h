// SHA-256 (FIPS 180-4, section 6.2), for checking downloads (hget).
// Include kernel/types.h first.

struct sha256 {
  uint32 h[8];        // the hash value H(i)
  uint64 len;         // bytes hashed so far
  uint8 blk[64];      // the message block being filled
  uint nblk;          // bytes in blk
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, uint n);
void sha256_final(struct sha256 *s, uint8 digest[32]);
void sha256_hex(const uint8 digest[32], char out[65]);
