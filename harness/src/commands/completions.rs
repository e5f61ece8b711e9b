//! `fletsim completions SHELL`: the completion script of a shell (clap_complete), on stdout.

use std::io::Write;

use clap_complete::Shell;

use crate::options::exit;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  fletsim completions bash > ~/.local/share/bash-completion/completions/fletsim
  fletsim completions zsh > ~/.zfunc/_fletsim      # with fpath+=~/.zfunc in ~/.zshrc
  fletsim completions fish > ~/.config/fish/completions/fletsim.fish")]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// `fletsim completions` for `command` (the whole command line, from [`crate::cli`]).
pub fn run(args: &Args, mut command: clap::Command, out: &mut dyn Write) -> u8 {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "fletsim", &mut script);
    match out.write_all(&script) {
        Ok(()) => exit::OK,
        Err(_) => exit::INTERNAL,
    }
}
