# Shared body of finetune_sweep.sh (chem) and finetune_sweep_bio.sh (bio); sourced, not run.
# The caller sets SWEEP_MODULE (python module to run), SWEEP_PASS_DATASET (1: pass --dataset) and the
# defaults of DATASETS, EPOCHS, MODEL_DIR, OUT_DIR, then calls: run_sweep "$@"

SWEEP_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

sweep_usage() {
    # The calling script's header comment is its help text.
    sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"
}

sweep_die() { echo "error: $*" >&2; exit 2; }

# Python answers the questions of names (pretrain_gnns/architecture.py): the known architectures, and
# each checkpoint's (the JSON beside it, else its name's prefix). PYTHON may be a stand-in (echo) for a
# dry run; these questions then go to python on PATH.
sweep_python() {
    local py=${PYTHON:-python}
    [[ $("$py" -c 'print(1)' 2>/dev/null) == 1 ]] || py=python
    PYTHONPATH="$SWEEP_REPO${PYTHONPATH:+:$PYTHONPATH}" "$py" "$@"
}
sweep_ask() { sweep_python -m pretrain_gnns.architecture --domain "${SWEEP_MODULE%%.*}" "$@"; }

# gnn_type_of FILE: that checkpoint's architecture, empty if unknown (from the table filled by run_sweep).
declare -A SWEEP_ARCH=()
gnn_type_of() { echo "${SWEEP_ARCH[$1]:-}"; }

# sweep_seeds SPEC: the seeds of 7, 0-9, 0,2,5 or 0-2,7, one per line; fails on anything else.
sweep_seeds() {
    local part
    local -a parts=()
    IFS=',' read -ra parts <<< "$1"
    [[ ${#parts[@]} -gt 0 ]] || return 1
    for part in "${parts[@]}"; do
        if [[ $part =~ ^([0-9]+)-([0-9]+)$ ]] && (( BASH_REMATCH[1] <= BASH_REMATCH[2] )); then
            seq "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
        elif [[ $part =~ ^[0-9]+$ ]]; then
            echo "$part"
        else
            return 1
        fi
    done
}

run_sweep() {
    if [[ $# -ge 1 && ( $1 == -h || $1 == --help ) ]]; then sweep_usage; exit 0; fi
    if [[ $# -lt 1 || $# -gt 2 ]]; then sweep_usage >&2; exit 2; fi
    local spec=$1 device=${2:-}
    local listed
    local -a seeds=()
    listed=$(sweep_seeds "$spec") || sweep_die "SEEDS must be seeds like 0, 0-9 or 0,1,2, got '$spec'"
    mapfile -t seeds <<< "$listed"
    [[ -d $MODEL_DIR ]] || sweep_die "MODEL_DIR '$MODEL_DIR' is not a folder (point it at the *.pth checkpoints;" \
        "an empty folder runs only the no-pre-training configurations)"
    [[ $EPOCHS =~ ^[0-9]+$ ]] || sweep_die "EPOCHS must be a positive integer, got '$EPOCHS'"
    if [[ -z $DATASETS ]]; then  # the paper's eight (chem/datasets.py)
        DATASETS=$(sweep_python -c 'from chem.datasets import MOLECULENET; print(*MOLECULENET)') ||
            sweep_die "cannot list the datasets (chem/datasets.py)"
    fi

    # Checkpoints and their architectures; GNN_TYPES defaults to the architectures found.
    local f t found="" known
    local -a ckpts=() files=()
    known=$(sweep_ask --list) || sweep_die "cannot list the architectures (python -m pretrain_gnns.architecture)"
    shopt -s nullglob
    files=("$MODEL_DIR"/*.pth)
    shopt -u nullglob
    if [[ ${#files[@]} -gt 0 ]]; then
        while IFS=$'\t' read -r f t; do SWEEP_ARCH[$f]=$t; done < <(sweep_ask "${files[@]}")
    fi
    for f in "${files[@]}"; do
        t=$(gnn_type_of "$f")
        if [[ -z $t ]]; then
            echo "note: ignoring $f (no JSON beside it names its architecture, and its name does not start with one of: $known)"
            continue
        fi
        ckpts+=("$f")
        [[ " $found " == *" $t "* ]] || found="$found $t"
    done
    local gnn_types=${GNN_TYPES:-${found:-gin}}
    for t in $gnn_types; do
        [[ " $known " == *" $t "* ]] || sweep_die "unknown GNN type '$t' in GNN_TYPES (known: $known)"
    done

    # Configurations as "gnn_type|config|checkpoint": no pre-training first, then each checkpoint.
    local -a configs=()
    for t in $gnn_types; do
        configs+=("$t|${t}_scratch|")
        for f in "${ckpts[@]}"; do
            [[ $(gnn_type_of "$f") == "$t" ]] && configs+=("$t|$(basename "$f" .pth)|$f")
        done
    done
    for f in "${ckpts[@]}"; do
        [[ " $gnn_types " == *" $(gnn_type_of "$f") "* ]] || echo "note: ignoring $f (GNN_TYPES is '$gnn_types')"
    done

    local dataset entry config ckpt out seed ran=0 skipped=0
    local -a failed=() args=() todo=()
    for dataset in $DATASETS; do
        for entry in "${configs[@]}"; do
            IFS='|' read -r t config ckpt <<< "$entry"
            out="$OUT_DIR/$dataset/$config"
            todo=()
            for seed in "${seeds[@]}"; do
                if [[ -f $out/seed$seed.json ]]; then
                    echo "skip: $out/seed$seed.json exists"
                    skipped=$((skipped + 1))
                else
                    todo+=("$seed")
                fi
            done
            [[ ${#todo[@]} -gt 0 ]] || continue
            # The seeds still to run go to one process (--runseeds): the data is loaded and split once.
            if [[ ${#todo[@]} -eq 1 ]]; then
                args=(--gnn_type "$t" --runseed "${todo[0]}" --epochs "$EPOCHS" --output-dir "$out" --filename "seed${todo[0]}")
            else
                args=(--gnn_type "$t" --runseeds "$(IFS=,; echo "${todo[*]}")" --epochs "$EPOCHS" --output-dir "$out"
                      --filename "seed{seed}")
            fi
            [[ -n $ckpt ]] && args+=(--input_model_file "$ckpt")
            [[ -n $device ]] && args+=(--device "$device")
            [[ -n ${DATA_ROOT:-} ]] && args+=(--data-root "$DATA_ROOT")
            [[ $SWEEP_PASS_DATASET == 1 ]] && args+=(--dataset "$dataset")
            echo "run: dataset $dataset, config $config, seed$([[ ${#todo[@]} -gt 1 ]] && echo s) $(IFS=,; echo "${todo[*]}")"
            # EXTRA_ARGS is split on spaces on purpose: it holds several flags.
            # shellcheck disable=SC2086
            if PYTHONPATH="$SWEEP_REPO${PYTHONPATH:+:$PYTHONPATH}" "${PYTHON:-python}" -m "$SWEEP_MODULE" \
                    "${args[@]}" ${EXTRA_ARGS:-}; then
                ran=$((ran + ${#todo[@]}))
            else
                echo "FAILED: dataset $dataset, config $config, seeds $(IFS=,; echo "${todo[*]}") (exit $?)" >&2
                failed+=("$dataset/$config")
            fi
        done
    done
    echo "sweep seeds $spec: $ran run, $skipped skipped (result exists), ${#failed[@]} failed${failed:+: ${failed[*]}}"
    [[ ${#failed[@]} -eq 0 ]]
}
