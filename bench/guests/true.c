// The smallest static program: start-up and exit cost only (musl's `true`).
int main(void) {
  return 0;
}
