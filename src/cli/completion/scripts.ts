/**
 * The scripts `herd completion bash|zsh` prints. Both ask `herd __complete` (the same herd the user
 * typed) for candidates, so commands, options, templates and clusters are always current.
 */

/** bash: `source <(herd completion bash)`, e.g. in ~/.bashrc. */
export function bashScript(): string {
  return `# herd completion for bash. Load it with: source <(herd completion bash)
_herd_complete() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  local IFS=$'\\n'
  local -a out
  out=($("\${COMP_WORDS[0]}" __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
  case "\${out[0]}" in
    :files) COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null ;;
    :dirs) COMPREPLY=($(compgen -d -- "$cur")); compopt -o filenames 2>/dev/null ;;
    *) COMPREPLY=("\${out[@]}") ;;
  esac
}
complete -F _herd_complete herd
`;
}

/**
 * zsh: `source <(herd completion zsh)` after compinit, or save it as `_herd` in a directory of
 * $fpath.
 */
export function zshScript(): string {
  return `#compdef herd
# herd completion for zsh. Load it with: autoload -U compinit && compinit; source <(herd completion zsh)
# or save it as _herd in a directory of $fpath.
_herd() {
  local -a out
  out=("\${(@f)$("\${words[1]}" __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  case "\${out[1]}" in
    :files) _files ;;
    :dirs) _files -/ ;;
    *) [[ -n "\${out[1]}" ]] && compadd -- "\${out[@]}" ;;
  esac
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _herd "$@"
else
  compdef _herd herd
fi
`;
}
