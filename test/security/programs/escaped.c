/* escaped: the program exec_race must never manage to run from outside the view. */
#include <stdio.h>
int main(void) { printf("ESCAPED\n"); return 0; }
