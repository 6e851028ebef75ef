# bash completion for lmatch (libmatch's command-line tool).
# Installed as $(PREFIX)/share/bash-completion/completions/lmatch; or source it.
#
# Completes the commands, each command's flags, kinds, formats, analyzer modes,
# file names, and the match options of the library's option registry with
# their choices -- read at run time from `lmatch options`, so new options
# complete without a change here.

_lmatch_registry()
{
    # "--flag META  help" per line, from the lmatch being completed.
    local prog=$1
    if [[ -z ${_lmatch_registry_cache-} || ${_lmatch_registry_prog-} != "$prog" ]]; then
        _lmatch_registry_cache=$("$prog" options 2>/dev/null)
        _lmatch_registry_prog=$prog
    fi
    printf '%s\n' "$_lmatch_registry_cache"
}

_lmatch_files()
{
    if declare -F _filedir >/dev/null 2>&1; then
        _filedir "$@"
    else
        local IFS=$'\n'
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

_lmatch()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -n = || return
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
    fi
    local prog=${words[0]}
    local commands="load put get delete export stats match query batch allocate feedback learn vectors mode analyze dict synonyms reindex options serve help version"
    local kinds="problem achievement expert"
    local common="--help --quiet --progress --no-progress"

    # The command: the first word that is not a global option.
    local i cmd="" cmdi=0
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            -*) ;;
            *) cmd=${words[i]}; cmdi=$i; break ;;
        esac
    done
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "$commands --help --version --quiet --progress" -- "$cur"))
        return
    fi

    # --name=value
    if [[ $cur == --*=* ]]; then
        prev=${cur%%=*}
        cur=${cur#*=}
    fi

    # Values of options.
    case $prev in
        --to|--from|--kind)
            COMPREPLY=($(compgen -W "$kinds" -- "$cur")); return ;;
        --format)
            case $cmd in
                load|export) COMPREPLY=($(compgen -W "jsonl csv" -- "$cur")) ;;
                batch) COMPREPLY=($(compgen -W "table json jsonl csv" -- "$cur")) ;;
                *) COMPREPLY=($(compgen -W "table json csv" -- "$cur")) ;;
            esac
            return ;;
        --mode)
            COMPREPLY=($(compgen -W "words subwords bigrams unigrams all all+unigrams" -- "$cur")); return ;;
        --xlsx|-o|--output|--db)
            _lmatch_files; return ;;
        --problem|--achievement|--expert|--problems|--candidates|--dim|--opt)
            return ;;
    esac
    if [[ $prev == -k || ( $prev == --* && ( $cmd == match || $cmd == query || $cmd == allocate || $cmd == batch ) ) ]]; then
        local line meta
        line=$(_lmatch_registry "$prog" | awk -v f="$prev" '$1 == f { print $2; exit }')
        [[ $prev == -k ]] && line=N
        if [[ -n $line ]]; then
            meta=$line
            if [[ $meta == *"|"* ]]; then
                COMPREPLY=($(compgen -W "${meta//|/ }" -- "$cur"))
            fi
            return           # a value is expected
        fi
    fi

    local flags=""
    case $cmd in
        load) flags="--format --kind --skip-bad --no-vectors --json" ;;
        export) flags="--kind --format --csv -o --output" ;;
        match) flags="--problem --achievement --expert --to --json --csv --format --xlsx --opt" ;;
        query) flags="--to --json --csv --format --xlsx --opt" ;;
        batch) flags="--from --to -k --memory --json --csv --format --xlsx" ;;
        allocate) flags="--to --problems --candidates --json --csv --format --xlsx --opt" ;;
        feedback) flags="--problem --achievement --expert --to --id --grade --delete --file --json" ;;
        learn) flags="--show --reset --json --opt" ;;
        vectors) flags="--dim" ;;
        analyze) flags="--db --mode --json" ;;
        options) flags="--json" ;;
        help) COMPREPLY=($(compgen -W "$commands" -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
        local reg=""
        case $cmd in
            match|query|allocate|learn)
                reg=$(_lmatch_registry "$prog" | awk '$1 ~ /^--/ { print $1 }')
                if [[ $cmd != allocate ]]; then
                    reg=$(printf '%s\n' $reg | grep -v -x -e --capacity -e --per-problem -e --min-score)
                fi ;;
        esac
        COMPREPLY=($(compgen -W "$flags $reg $common" -- "$cur"))
        return
    fi

    # Positional arguments: the database, then what the command wants.
    local npos=0
    for ((i = cmdi + 1; i < cword; i++)); do
        case ${words[i]} in
            -k|--to|--from|--kind|--format|--mode|--xlsx|-o|--output|--db|--problem|--achievement|--expert|--problems|--candidates|--dim|--opt)
                ((i++)) ;;
            --*=*) ;;
            --*)
                # a registry option takes a value
                if _lmatch_registry "$prog" | awk -v f="${words[i]}" '$1 == f { found = 1 } END { exit !found }'; then
                    ((i++))
                fi ;;
            -*) ;;
            *) ((npos++)) ;;
        esac
    done
    case $cmd in
        get|delete)
            if ((npos == 1)); then COMPREPLY=($(compgen -W "$kinds" -- "$cur")); return; fi
            ((npos == 0)) && _lmatch_files ;;
        mode)
            if ((npos == 1)); then COMPREPLY=($(compgen -W "words subwords bigrams unigrams all all+unigrams" -- "$cur")); return; fi
            ((npos == 0)) && _lmatch_files ;;
        load|synonyms)
            ((npos <= 1)) && _lmatch_files ;;
        analyze|options|version|serve) ;;
        *)
            ((npos == 0)) && _lmatch_files ;;
    esac
}
complete -F _lmatch lmatch
