#!/bin/sh
# Reproduces every table and figure of docs/RESULTS.md (a few minutes on 2 cores).
# Run from the repository root after `pip install ".[plot,data]"`. Each command
# prints its table, which is also kept next to its outputs as output.txt.
set -e
out=docs/results

run() {  # run NAME ARGS...: kdfast ARGS --out docs/results/NAME, keeping the printed table
    name=$1
    shift
    mkdir -p "$out/$name"
    kdfast "$@" --out "$out/$name" > "$out/$name/output.txt"
    cat "$out/$name/output.txt"
}

# 0. The default comparison (the README's first command).
run default compare

# 1. The motivating experiment: soft vs hard by width, two synthetic families
#    and one real one, at three difficulty levels each; 20% of the labels
#    flipped; an early-stopped kernel teacher (100 steps at its default lr 4).
run gaussians sweep --data gaussians:n=200,d=8,flip=0.2,n_test=2000 --vary separation=1,2,4 --teacher-param steps=100
run xor2 sweep --data xor2:n=200,flip=0.2,n_test=2000 --vary d=4,8,12 --teacher-param steps=100
run digits sweep --data digits:pair=3/5,flip=0.2 --vary noise=0,0.5,1 --teacher-param steps=100

# 2. Controls on the middle Gaussian level: a fully trained teacher (1000
#    steps, the KernelTeacher default), and the same data without label noise.
run control-trained-teacher compare --data gaussians:n=200,d=8,separation=2,flip=0.2,n_test=2000 \
    --teacher-param steps=1000
run control-clean-labels compare --data gaussians:n=200,d=8,separation=2,n_test=2000 --teacher-param steps=100

# 3. The scaling experiment: neurons needed against the NTK margin gamma, on
#    noise-free 2-XOR over the dimension d (gamma shrinks as d grows).
run scaling scaling --data xor2:n=200,n_test=1000 --vary d=4,6,8,10,12,16 --eps 0.1 \
    --widths 1,2,3,4,6,8,12,16,24,32,48,64,96,128,192,256,384,512,768,1024
