#!/bin/bash
# sbatch examples/cluster/slurm-job.sh
# scoop reads the allocation (SLURM_JOB_NODELIST, SLURM_TASKS_PER_NODE) and
# starts one worker per task with `srun --overlap` job steps: no SSH needed.
#SBATCH --job-name=scoop-pi
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=8
#SBATCH --time=00:10:00
#SBATCH --output=scoop-pi-%j.out
set -euo pipefail

# Load what the nodes need (module systems, a node version manager…).
# module load nodejs/20

cd "$SLURM_SUBMIT_DIR"
# The project is on a filesystem every node sees (home, /scratch…): workers
# start with the same node, the same scoop-worker and the same script path.
npx scoop --verbose examples/pi.ts 64 200000
