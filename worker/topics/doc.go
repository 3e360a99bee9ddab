// Package topics is `worker topics`: it lists, plans and applies the
// topics a worker's configuration and routing policy need (service.Topics
// says which, with their partitions, replication, retention and cleanup
// policy, and why), and prints the ACLs the worker and this command need
// (service.Access, Access).
//
//	list   the topics, offline, with what each is for and why it is set up so
//	plan   compare with the cluster: what apply would create or change, and
//	       drift apply does not fix; exit 0 in sync, 3 changes, 4 operator
//	apply  create missing topics, add partitions, set configs; idempotent
//	acls   the ACLs, as kafka-acls.sh commands for a principal
//
// Everything goes through worker/kafkaconn, the one Kafka client.
package topics
