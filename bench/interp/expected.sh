# The result line every twin of each workload must print (sourced by run.sh, memory.sh and instructions.sh).
# shellcheck disable=SC2034
declare -A EXPECT=(
  [fib]="196418"
  [fib30]="832040"
  [objects]="7649994"
  [loop]="49999995000000"
  [strbuild]="1048576"
  [churn]="22574775000 50000 50000 50000 50000"
  [structs]="299995 499995 1099990"
)
