# shellcheck shell=bash disable=SC2034 # <C>_* settings are read by lib.sh
# Apache Kafka 4.x, KRaft, one combined broker+controller node, from Maven
# Central jars (no distribution tarball): broker classpath and CLI tools
# classpath are gathered with maven-dependency-plugin into the cache.

KAFKA_PORT=59092
KAFKA_CONTROLLER_PORT=59093
KAFKA_READY_TIMEOUT=120
KAFKA_VERSION="${CAIRN_KAFKA_VERSION:-4.3.1}"
KAFKA_LOG4J_VERSION="${CAIRN_LOG4J_VERSION:-2.25.4}"
KAFKA_HEAP="${CAIRN_KAFKA_HEAP:--Xms256m -Xmx768m}"
KAFKA_CACHE="$CAIRN_STACK_CACHE/kafka"
KAFKA_DIR="$CAIRN_STACK_RUN/kafka"
KAFKA_PIDFILE="$KAFKA_DIR/kafka.pid"

kafka_apt_needs() {
  have java || echo openjdk-17-jre-headless
  have mvn || echo maven
  have python3 || echo python3-minimal
}

# The install for the requested version: $KAFKA_CACHE/for-<requested> links
# to $KAFKA_CACHE/<resolved version>, holding broker/libs, tools/libs and
# tools/log4j2.properties.
kafka_home() { readlink -f "$KAFKA_CACHE/for-$KAFKA_VERSION" || true; }

_kafka_pom() { # ARTIFACT VERSION
  cat <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.cairn.stack</groupId>
  <artifactId>kafka-$1</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>$1</artifactId><version>$2</version></dependency>
    <!-- Kafka logs through SLF4J 1.x; its POM brings neither a binding nor log4j-core. -->
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$KAFKA_LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$KAFKA_LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
}

# _kafka_fetch DIR VERSION: copy broker and tools jars for VERSION (a Maven
# version or range) into DIR/{broker,tools}/libs.
_kafka_fetch() {
  local dir=$1 version=$2 part artifact
  for part in broker tools; do
    artifact=kafka_2.13
    [[ $part == tools ]] && artifact=kafka-tools
    mkdir -p "$dir/$part"
    _kafka_pom "$artifact" "$version" >"$dir/$part/pom.xml"
    rm -rf "$dir/$part/libs"
    mvn -B -q -ntp -f "$dir/$part/pom.xml" -Dmaven.repo.local="$CAIRN_STACK_CACHE/m2" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir/$part/libs" 2>&1 |
      sed 's/\x1b\[[0-9;]*m//g' >&2 || return 1
  done
  cat >"$dir/tools/log4j2.properties" <<'EOF'
status = warn
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF
}

kafka_install() {
  local home
  home=$(kafka_home)
  [[ -n $home && -e $home/.complete ]] && return 0
  if ! have java || ! have mvn; then die "kafka: java and mvn are required"; fi
  mkdir -p "$KAFKA_CACHE"
  local stage="$KAFKA_CACHE/.stage-$$" version
  rm -rf "$stage"
  log "kafka: fetching kafka_2.13 $KAFKA_VERSION jars from Maven Central (first time only)"
  if ! _kafka_fetch "$stage" "$KAFKA_VERSION"; then
    log "kafka: $KAFKA_VERSION did not resolve; trying the newest 4.x"
    _kafka_fetch "$stage" '[4.0.0,5.0.0)' || { rm -rf "$stage"; die "kafka: no 4.x resolved"; }
  fi
  version=$(find "$stage/broker/libs" -name 'kafka_2.13-*.jar' -printf '%f\n' | sed 's/^kafka_2.13-//; s/\.jar$//')
  [[ -n $version ]] || die "kafka: kafka_2.13 jar missing after resolution"
  if [[ -e $KAFKA_CACHE/$version/.complete ]]; then
    rm -rf "$stage" # already there (reached through another requested version)
  else
    rm -rf "${KAFKA_CACHE:?}/$version"
    mv "$stage" "$KAFKA_CACHE/$version"
    touch "$KAFKA_CACHE/$version/.complete"
  fi
  ln -sfn "$version" "$KAFKA_CACHE/for-$KAFKA_VERSION"
  log "kafka: installed $version ($(find "$KAFKA_CACHE/$version" -name '*.jar' | wc -l) jars)"
}

_kafka_cluster_id() { # Kafka's Uuid format: 16 random bytes, base64url, no padding
  local id
  while :; do
    id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    [[ $id != -* ]] && echo "$id" && return
  done
}

_kafka_write_config() {
  cat >"$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
auto.create.topics.enable=true
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
EOF
  cat >"$KAFKA_DIR/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
}

kafka_start() {
  local home logfile
  home=$(kafka_home)
  mkdir -p "$KAFKA_DIR"
  logfile=$(rotate_log kafka)
  _kafka_write_config
  if [[ ! -e $KAFKA_DIR/data/meta.properties ]]; then
    rm -rf "$KAFKA_DIR/data"
    log "kafka: formatting storage"
    java -Dlog4j2.configurationFile="$home/tools/log4j2.properties" -cp "$home/broker/libs/*" \
      kafka.tools.StorageTool format --standalone -t "$(_kafka_cluster_id)" \
      -c "$KAFKA_DIR/server.properties" >>"$logfile" 2>&1 ||
      die "kafka: storage format failed (log: $logfile)"
  fi
  # shellcheck disable=SC2086
  detach "$KAFKA_PIDFILE" "$logfile" java $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
    -cp "$home/broker/libs/*" kafka.Kafka "$KAFKA_DIR/server.properties"
}

# A real Kafka round trip: Metadata v4 request, ok when a broker is listed.
_kafka_metadata_ok() {
  python3 - "$KAFKA_PORT" <<'EOF' 2>/dev/null
import socket, struct, sys
def string(s): b = s.encode(); return struct.pack(">h", len(b)) + b
# header: api_key 3 (Metadata), version 4, correlation id 7, client id
body = struct.pack(">hhi", 3, 4, 7) + string("cairn-stack") + struct.pack(">i", -1) + b"\x00"
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
sock.settimeout(3)
sock.sendall(struct.pack(">i", len(body)) + body)
def read(n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            sys.exit(1)
        buf += chunk
    return buf
size, = struct.unpack(">i", read(4))
corr, _throttle, brokers = struct.unpack(">iii", read(size)[:12])
sys.exit(0 if corr == 7 and brokers > 0 else 1)
EOF
}

kafka_pid() { pidfile_pid "$KAFKA_PIDFILE"; }
kafka_running() { pid_alive "$(kafka_pid)" java; }
kafka_healthy() { _kafka_metadata_ok; }
kafka_ready() {
  grep -q 'Kafka Server started' "$CAIRN_STACK_LOGS/kafka.log" 2>/dev/null && kafka_healthy
}

kafka_stop() {
  kafka_running || return 0
  [[ ${1:-} == quiet ]] || log "kafka: stopping"
  stop_pid "$(kafka_pid)" kafka 30
}

# kafka_tool MAINCLASS ARGS...: run a Kafka CLI tool from the cached jars.
kafka_tool() {
  local home; home=$(kafka_home)
  [[ -e $home/.complete ]] || die "kafka: not installed; run stack.sh up kafka"
  java -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$home/tools/log4j2.properties" \
    -cp "$home/tools/libs/*" "$@"
}

kafka_smoke() {
  local bs="127.0.0.1:$KAFKA_PORT" topic="cairn-smoke-$$-$RANDOM" msg="hello-$RANDOM" out
  kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" --create --if-not-exists \
    --topic "$topic" --partitions 1 --replication-factor 1 >/dev/null || return 1
  echo "$msg" | kafka_tool org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$bs" --topic "$topic" || return 1
  out=$(kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$bs" --topic "$topic" \
    --from-beginning --group "$topic" --max-messages 1 --timeout-ms 30000 2>/dev/null) || return 1
  [[ $out == "$msg" ]] || { echo "kafka: consumed '$out', expected '$msg'" >&2; return 1; }
  kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" --delete --topic "$topic" >/dev/null || true
  echo "kafka: topic $topic created, produced and consumed '$msg'"
}

kafka_info() {
  local home; home=$(kafka_home)
  echo "127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT), kafka ${home##*/}"
}
