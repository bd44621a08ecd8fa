#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Runs a Kafka CLI tool from the stack's cached jars against the local broker.
#   kafka-cli.sh topics --list
#   kafka-cli.sh topics --create --topic t --partitions 3
#   kafka-cli.sh produce --topic t            (lines from stdin)
#   kafka-cli.sh consume --topic t --from-beginning --max-messages 1
#   kafka-cli.sh groups --list
#   kafka-cli.sh <fully.qualified.MainClass> [args...]   (no --bootstrap-server added)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=components/kafka.sh
source "$CAIRN_STACK_DIR/components/kafka.sh"
(($#)) || { sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
tool=$1
shift
bs=(--bootstrap-server "127.0.0.1:$KAFKA_PORT")
case $tool in
  topics) kafka_tool org.apache.kafka.tools.TopicCommand "${bs[@]}" "$@" ;;
  produce) kafka_tool org.apache.kafka.tools.ConsoleProducer "${bs[@]}" "$@" ;;
  consume) kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer "${bs[@]}" "$@" ;;
  groups) kafka_tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "${bs[@]}" "$@" ;;
  *.*) kafka_tool "$tool" "$@" ;;
  *) die "unknown tool $tool" ;;
esac
