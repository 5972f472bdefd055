#!/bin/sh
# Generates the example prompts (8 kHz mono 16-bit WAV) with espeak-ng and sox.
# Usage: packages/comms/prompts/generate.sh [output folder]   (default: this folder)
set -eu
out="${1:-$(dirname "$0")}"
say() {
  espeak-ng -v en -s 150 --stdout -- "$2" | sox -t wav - -r 8000 -c 1 -b 16 "$out/$1.wav"
}
say welcome "Welcome to Caruso. For support, press 1. For billing, press 2."
say please-hold "Please hold. An agent will be with you shortly."
say leave-message "Nobody can take your call. Please leave a message after the tone, then hang up or press the pound key."
say goodbye "Thank you for calling. Goodbye."
